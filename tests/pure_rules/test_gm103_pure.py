"""GM103 from constructed evidence: a softmax over one unit, whose output is 1.0 whatever the weights."""

from builders_preflight import array, detected, head, made_at, preflight, preflight_fit
from evidence_builder import check, dense, render
from snapshot import assert_snapshot

SOURCE = """import numpy as np
import keras

x = np.random.rand(64, 4).astype("float32")
y = (x[:, :1] > 0.5).astype("float32")

model = keras.Sequential([
    keras.Input((4,)),
    keras.layers.Dense(8, activation="relu"),
    keras.layers.Dense(1, activation="softmax"),
])
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
"""

HIDDEN = dense("dense", 8, inputs=4, activation="relu", line=9)
SOFTMAX_UNIT = dense("dense_1", 1, inputs=8, activation="softmax", line=10)
X = array("x", (64, 4), low=0.0047, high=0.9988, mean=0.4957, std=0.2841, origin=made_at("x", 4, "x"))
LABELS = array("y", (64, 1), low=0.0, high=1.0, mean=0.578, std=0.494, integral=True, origin=made_at("y", 5, "y"))


def _fit(output_layer, loss: str, targets, *, target_kind: str, **measured):
    output = head(output_layer, loss, targets, target_kind=target_kind, relation="same", **measured)
    return preflight_fit(preflight(output, inputs=(X,)), [(HIDDEN, 4, 8), (output_layer, 8, 1)], loss=loss, line=13)


def test_softmax_over_one_unit_with_categorical_crossentropy_is_gm103_with_two_fixes():
    fit = _fit(SOFTMAX_UNIT, "categorical_crossentropy", LABELS, target_kind="binary", target_classes=2,
               loss_value=6.7e-08, observed_min=1.0, observed_max=1.0, observed_row_sums_one=True)
    report = check(SOURCE, fit)
    assert report.codes() == ["GM103"]
    found = report.findings[0]
    assert (found.severity, found.line, found.layer) == ("error", 10, "dense_1")
    assert found.message == "the loss is identically 0 for any weights: softmax over one unit is always 1.0"
    assert (found.evidence["loss_first_batch"], found.evidence["output_min"], found.evidence["target_classes"]) \
        == (0.0, 1.0, 2)
    assert "the output is 1 for every row of the first batch" in found.notes
    assert [fix.id for fix in found.fixes] == ["sigmoid-binary-crossentropy", "softmax-units"]
    sigmoid, two_units = (fix.patched_source.splitlines() for fix in found.fixes)
    assert sigmoid[9] == '    keras.layers.Dense(1, activation="sigmoid"),'
    assert sigmoid[11] == 'model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])'
    assert two_units[9] == '    keras.layers.Dense(2, activation="softmax"),'
    assert two_units[11] == \
        'model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])'
    assert_snapshot("GM103", render(report))


def test_one_sigmoid_unit_with_binary_crossentropy_is_the_two_class_head_that_works():
    sigmoid_unit = dense("dense_1", 1, inputs=8, activation="sigmoid", line=10)
    report = check(SOURCE, _fit(sigmoid_unit, "binary_crossentropy", LABELS, target_kind="binary", target_classes=2))
    assert "GM103" not in report.codes()


def test_on_a_regression_the_softmax_unit_is_said_once_gm106_target_range_is_superseded():
    source = SOURCE.replace('loss="categorical_crossentropy", metrics=["accuracy"]', 'loss="mse"')
    percent = array("y", (64, 1), low=8.6, high=91.5, mean=49.6, std=16.5, origin=made_at("y", 5, "y"))
    fit = _fit(SOFTMAX_UNIT, "mse", percent, target_kind="continuous")
    assert [(f.code, f.line) for f in detected("GM106", source, fit)] == [("GM106", 10)]  # softmax cannot reach 91.5
    report = check(source, fit)
    assert report.codes() == ["GM103"]
    found = report.findings[0]
    assert found.message == "the model predicts 1.0 for every input: softmax over one unit is always 1.0"
    assert [fix.id for fix in found.fixes] == ["linear-output"]
    assert found.fixes[0].patched_source.splitlines()[9] == "    keras.layers.Dense(1),"
