"""GM203 from constructed evidence: a constant column standardised into NaN, and a constant raw column."""

from builders_preflight import array, head, made_at, preflight, preflight_fit
from evidence_builder import check, dense, render
from snapshot import assert_snapshot

SOURCE = """import numpy as np
import keras

x = np.random.normal(loc=5.0, size=(64, 4)).astype("float32")
x[:, 2] = 1.0
y = (x[:, :1] > 5.0).astype("float32")
x = (x - x.mean(axis=0)) / x.std(axis=0)

model = keras.Sequential([
    keras.Input((4,)),
    keras.layers.Dense(8, activation="relu"),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy")
history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
"""
GUARDED = SOURCE.replace("/ x.std(axis=0)", "/ np.maximum(x.std(axis=0), 1e-8)")

HIDDEN = dense("dense", 8, inputs=4, activation="relu", line=11)
SIGMOID = dense("dense_1", 1, inputs=8, activation="sigmoid", line=12)
Y = array("y", (64, 1), low=0.0, high=1.0, mean=0.5, std=0.5, integral=True, origin=made_at("y", 6, "y"))


def _fit(x):
    output = head(SIGMOID, "binary_crossentropy", Y, target_kind="binary", relation="same", target_classes=2)
    return preflight_fit(preflight(output, inputs=(x,)), [(HIDDEN, 4, 8), (SIGMOID, 8, 1)],
                         loss="binary_crossentropy", line=15)


def _standardised(**measured):
    return array("x", (64, 4), low=-2.77, high=2.29, mean=0.0, std=1.0, origin=made_at("x", 7, "x"), **measured)


def test_a_column_standardised_into_nan_is_gm203_at_the_division_beside_the_nan_it_makes():
    nan_column = _standardised(nan_count=64, nonfinite_rows=64, first_nonfinite=(0, 2), nonfinite_columns=[2],
                               all_nonfinite_columns=[2])
    report = check(SOURCE, _fit(nan_column))
    assert report.codes() == ["GM201", "GM203"]  # the NaN (GM201) and why the division made it (GM203)
    found = report.by_code("GM203")[0]
    assert (found.severity, found.line, found.layer) == ("error", 7, None)
    assert found.message == ("column 2 of `x` is NaN in all 64 rows after the standardisation on line 7: the "
                             "standard deviation it divides by is 0")
    assert (found.evidence["columns"], found.evidence["nan_count"], found.evidence["rows"]) == ([2], 64, 64)
    assert [fix.id for fix in found.fixes] == ["guard-zero-std"]
    assert found.fixes[0].patched_source.splitlines()[6] == \
        "x = (x - x.mean(axis=0)) / np.maximum(x.std(axis=0), 1e-8)"
    assert report.by_code("GM201")[0].fixes[0].id == "guard-zero-std"  # dropping rows would drop every row
    assert_snapshot("GM203", render(report))


def test_a_guarded_standardisation_leaves_the_constant_column_at_zero_on_purpose():
    zeros = _standardised(constant_columns=[2], constant_values=[0.0])
    assert "GM203" not in check(GUARDED, _fit(zeros)).codes()


def test_a_constant_column_in_raw_data_is_a_note_where_it_is_written():
    raw = SOURCE.replace("x = (x - x.mean(axis=0)) / x.std(axis=0)\n", "")
    seven = array("x", (64, 4), low=1.0, high=7.9, mean=4.0, std=1.9, origin=made_at("x", 5, "x"),
                  constant_columns=[2], constant_values=[1.0])
    found = check(raw, _fit(seven)).findings[0]
    assert (found.code, found.severity, found.line) == ("GM203", "info", 5)
    assert found.message == "column 2 of `x` is constant in all 64 rows scanned"
    assert (found.evidence["values"], found.fixes) == ([1.0], [])
