"""GM106 from constructed evidence: targets outside [0, 1] under binary cross-entropy."""

from builders_preflight import array, head, made_at, preflight, preflight_fit
from evidence_builder import check, dense, render
from snapshot import assert_snapshot

SOURCE = """import numpy as np
import keras

x = np.random.rand(64, 4).astype("float32")
y = np.random.normal(size=(64, 1)).astype("float32")

model = keras.Sequential([
    keras.Input((4,)),
    keras.layers.Dense(8, activation="relu"),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
"""

HIDDEN = dense("dense", 8, inputs=4, activation="relu", line=9)
SIGMOID = dense("dense_1", 1, inputs=8, activation="sigmoid", line=10)
X = array("x", (64, 4), low=0.0047, high=0.9988, mean=0.4957, std=0.2841, origin=made_at("x", 4, "x"))


def _fit(targets, *, target_kind: str = "continuous", relation: str = "same", **measured):
    output = head(SIGMOID, "binary_crossentropy", targets, target_kind=target_kind, relation=relation,
                  loss_value=0.7306, observed_min=0.4946, observed_max=0.6381, **measured)
    return preflight_fit(preflight(output, inputs=(X,), metrics=["accuracy"]), [(HIDDEN, 4, 8), (SIGMOID, 8, 1)],
                         loss="binary_crossentropy", line=13)


def test_normal_targets_under_binary_crossentropy_are_gm106_with_a_regression_fix():
    normal = array("y", (64, 1), low=-2.07, high=2.2593, mean=-0.0994, std=0.911, origin=made_at("y", 5, "y"))
    report = check(SOURCE, _fit(normal))
    assert report.codes() == ["GM106"]
    found = report.findings[0]
    assert (found.severity, found.line, found.layer) == ("error", 12, "dense_1")
    assert found.message == "targets range -2.07..2.26 (mean -0.0994) but `binary_crossentropy` needs targets in [0, 1]"
    assert (found.evidence["target_min"], found.evidence["target_max"], found.evidence["rows_scanned"]) \
        == (-2.07, 2.2593, 64)
    assert [fix.id for fix in found.fixes] == ["regression"]
    patched = found.fixes[0].patched_source.splitlines()
    assert patched[9] == "    keras.layers.Dense(1),"
    assert patched[11] == 'model.compile(optimizer="adam", loss="mse", metrics=["mae"])'
    assert_snapshot("GM106", render(report))


def test_soft_labels_inside_zero_one_are_what_binary_crossentropy_takes():
    soft = array("y", (64, 1), low=0.0, high=1.0, mean=0.49, std=0.29, origin=made_at("y", 5, "y"))
    assert "GM106" not in check(SOURCE, _fit(soft)).codes()


def test_labels_written_as_minus_one_and_one_are_mapped_to_zero_one_where_they_are_made():
    source = SOURCE.replace('np.random.normal(size=(64, 1)).astype("float32")',
                            'np.where(x[:, 0] > 0.5, 1.0, -1.0).astype("float32")')
    signed = array("y", (64,), low=-1.0, high=1.0, mean=0.0313, std=1.0, integral=True, origin=made_at("y", 5, "y"))
    found = check(source, _fit(signed, relation="expand", target_classes=2)).findings[0]
    assert (found.code, found.line) == ("GM106", 5)  # the data is wrong where it is made, not the loss
    assert [fix.id for fix in found.fixes] == ["labels-to-01"]
    assert found.fixes[0].patched_source.splitlines()[5] == 'y = (y > 0).astype("float32")'
