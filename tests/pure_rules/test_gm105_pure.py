"""GM105 from constructed evidence: integer class ids against a categorical loss, and ids beyond the units."""

from dataclasses import replace

from builders_preflight import array, detected, head, made_at, preflight, preflight_fit
from evidence_builder import check, dense, render
from snapshot import assert_snapshot

from gradmagic.evidence.fit_evidence import FitException

SOURCE = """import numpy as np
import keras

x = np.random.rand(64, 4).astype("float32")
y = np.random.randint(0, 5, size=(64,))

model = keras.Sequential([
    keras.Input((4,)),
    keras.layers.Dense(16, activation="relu"),
    keras.layers.Dense(5, activation="softmax"),
])
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
"""

HIDDEN = dense("dense", 16, inputs=4, activation="relu", line=9)
SOFTMAX = dense("dense_1", 5, inputs=16, activation="softmax", line=10)
X = array("x", (64, 4), low=0.0047, high=0.9988, mean=0.4957, std=0.2841, origin=made_at("x", 4, "x"))
RANK_ERROR = FitException("ValueError", "Arguments `target` and `output` must have the same rank (ndim). "
                          "Received: target.shape=(16,), output.shape=(16, 5)", None)


def _fit(loss: str, high: float, *, classes: int, **measured):
    """``y``: one integer class id 0..``high`` per row, ``classes`` distinct values."""
    ids = array("y", (64,), low=0.0, high=high, mean=1.83, std=1.51, dtype="int64", integral=True,
                origin=made_at("y", 5, "y"))
    output = head(SOFTMAX, loss, ids, target_kind="integer", relation="ids", target_classes=classes, **measured)
    return preflight_fit(preflight(output, inputs=(X,)), [(HIDDEN, 4, 16), (SOFTMAX, 16, 5)], loss=loss, line=13)


def test_class_ids_with_categorical_crossentropy_are_gm105_at_the_loss_not_a_shape_mismatch():
    fit = replace(_fit("categorical_crossentropy", 4.0, classes=5), status="failed", exception=RANK_ERROR)
    assert detected("GM101", SOURCE, fit) == []  # ids against K units are an encoding question, not GM101's
    report = check(SOURCE, fit)
    assert report.codes() == ["GM105"]
    found = report.findings[0]
    assert (found.severity, found.line, found.layer) == ("error", 12, "dense_1")
    assert found.message == ("targets are class ids 0..4 (one per row) but `categorical_crossentropy` expects "
                             "one-hot rows of 5 columns")
    assert (found.evidence["target_shape"], found.evidence["output_units"], found.evidence["target_classes"]) \
        == ([64], 5, 5)
    assert [fix.id for fix in found.fixes] == ["sparse-loss", "one-hot-targets"]
    sparse, one_hot = (fix.patched_source.splitlines() for fix in found.fixes)
    assert sparse[11] == \
        'model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])'
    assert one_hot[5] == "y = keras.utils.to_categorical(y, 5)"
    assert_snapshot("GM105", render(report))


def test_class_ids_within_the_units_with_a_sparse_loss_are_what_it_expects():
    fit = _fit("sparse_categorical_crossentropy", 4.0, classes=5, ids_out_of_range=0)
    assert "GM105" not in check(SOURCE, fit).codes()


def test_class_ids_beyond_the_units_of_a_sparse_loss_widen_the_output_layer():
    fit = _fit("sparse_categorical_crossentropy", 9.0, classes=10, ids_out_of_range=31)
    found = check(SOURCE, fit).findings[0]
    assert (found.code, found.line, found.evidence["ids_out_of_range"]) == ("GM105", 10, 31)
    assert found.message == "class ids go up to 9 but the output layer `dense_1` has 5 units (ids 0..4)"
    assert found.fixes[0].patched_source.splitlines()[9] == '    keras.layers.Dense(10, activation="softmax"),'
