"""GM101 from constructed evidence: ten one-hot target columns against one output unit."""

from builders_preflight import array, head, made_at, preflight, preflight_fit
from evidence_builder import check, dense, render
from snapshot import assert_snapshot

from gradmagic.evidence.fit_evidence import FitException

SOURCE = """import numpy as np
import keras

x = np.random.rand(64, 4).astype("float32")
labels = np.random.randint(0, 10, size=64)
y = keras.utils.to_categorical(labels, 10)

model = keras.Sequential([
    keras.Input((4,)),
    keras.layers.Dense(16, activation="relu"),
    keras.layers.Dense(1),
])
model.compile(optimizer="adam", loss="categorical_crossentropy")
history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
"""

HIDDEN = dense("dense", 16, inputs=4, activation="relu", line=10)
OUTPUT = dense("dense_1", 1, inputs=16, line=11)
X = array("x", (64, 4), low=0.0047, high=0.9988, mean=0.4957, std=0.2841, origin=made_at("x", 4, "x"))
SHAPE_ERROR = FitException("ValueError", "Arguments `target` and `output` must have the same shape. "
                           "Received: target.shape=(16, 10), output.shape=(16, 1)", None)


def _fit(targets, *, loss: str, target_kind: str, relation: str, **overrides):
    output = head(OUTPUT, loss, targets, target_kind=target_kind, relation=relation)
    return preflight_fit(preflight(output, inputs=(X,)), [(HIDDEN, 4, 16), (OUTPUT, 16, 1)], loss=loss, line=14,
                         **overrides)


def test_ten_one_hot_columns_against_one_unit_is_gm101_at_the_output_layer():
    one_hot = array("y", (64, 10), low=0.0, high=1.0, mean=0.1, std=0.3, dtype="float64", integral=True,
                    origin=made_at("y", 6, "y"))
    fit = _fit(one_hot, loss="categorical_crossentropy", target_kind="one-hot", relation="different",
               status="failed", exception=SHAPE_ERROR)
    report = check(SOURCE, fit)
    assert report.codes() == ["GM101"]  # the shape is the problem, not the single unit (GM103) nor its activation
    found = report.findings[0]
    assert (found.severity, found.line, found.layer) == ("error", 11, "dense_1")
    assert found.message == "targets have 10 columns but the model outputs 1"
    assert found.evidence["target_shape"] == [64, 10] and found.evidence["output_shape"] == [None, 1]
    assert (found.evidence["target_columns"], found.evidence["output_units"]) == (10, 1)
    assert any(note.startswith("Keras raised `` ValueError: Arguments `target`") for note in found.notes)
    assert [fix.id for fix in found.fixes] == ["match-units"]
    assert found.fixes[0].patched_source.splitlines()[10] == '    keras.layers.Dense(10, activation="softmax"),'
    assert_snapshot("GM101", render(report))


def test_regression_targets_broadcast_onto_one_unit_keep_the_linear_head():
    three = array("y", (64, 3), low=-7.96, high=8.36, mean=-0.156, std=2.52, origin=made_at("y", 6, "y"))
    found = check(SOURCE, _fit(three, loss="mse", target_kind="continuous", relation="different")).findings[0]
    assert found.code == "GM101" and found.message == "targets have 3 columns but the model outputs 1"
    assert "Keras does not raise here: the loss broadcasts one output against every target column" in found.notes
    assert found.fixes[0].patched_source.splitlines()[10] == "    keras.layers.Dense(3),"


def test_flat_targets_against_one_unit_are_aligned_by_keras_not_gm101():
    flat = array("y", (64,), low=-5.86, high=5.2, mean=-0.176, std=2.35, origin=made_at("y", 6, "y"))
    report = check(SOURCE, _fit(flat, loss="mse", target_kind="continuous", relation="expand"))
    assert "GM101" not in report.codes()
