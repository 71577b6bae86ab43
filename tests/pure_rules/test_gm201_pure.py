"""GM201 from constructed evidence: one NaN in the inputs, and the NaN training that follows from it."""

import math

from builders_preflight import array, head, made_at, preflight, preflight_fit
from builders_recording import recording
from evidence_builder import check, dense, model_info, render
from snapshot import assert_snapshot

from gradmagic.evidence.facts.probe import ProbeResult, VariableGradient
from gradmagic.evidence.facts.recording import NonfiniteEvent

SOURCE = """import numpy as np
import keras

x = np.random.rand(64, 4).astype("float32")
x[0, 0] = np.nan
y = (x[:, 1:2] > 0.5).astype("float32")

model = keras.Sequential([
    keras.Input((4,)),
    keras.layers.Dense(8, activation="relu"),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy")
history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
"""

HIDDEN = dense("dense", 8, inputs=4, activation="relu", line=10)
SIGMOID = dense("dense_1", 1, inputs=8, activation="sigmoid", line=11)
LAYERS = [(HIDDEN, 4, 8), (SIGMOID, 8, 1)]
Y = array("y", (64, 1), low=0.0, high=1.0, mean=0.516, std=0.5, integral=True, origin=made_at("y", 6, "y"))
# the probe's step on the first batch: oneDNN's fused ReLU turned the NaN into 0, so only the kernel it meets is NaN
PROBE = ProbeResult(mode="compile", loss=0.759, gradients=[
    VariableGradient("sequential/dense/kernel", "ok", norm=math.nan, max_abs=math.nan, mean_abs=math.nan),
    VariableGradient("sequential/dense/bias", "ok", norm=0.0654, max_abs=0.0411, mean_abs=0.0177),
    VariableGradient("sequential/dense_1/kernel", "ok", norm=0.131, max_abs=0.0896, mean_abs=0.0365),
    VariableGradient("sequential/dense_1/bias", "ok", norm=0.0915, max_abs=0.0915, mean_abs=0.0915)])


def _fit(nan_count: int, **overrides):
    where = {"first_nonfinite": (0, 0), "nonfinite_rows": 1, "nonfinite_columns": [0]} if nan_count else {}
    x = array("x", (64, 4), low=0.0047, high=0.9988, mean=0.4955, std=0.2847, origin=made_at("x", 5, "x"),
              nan_count=nan_count, **where)
    output = head(SIGMOID, "binary_crossentropy", Y, target_kind="binary", relation="same", target_classes=2)
    return preflight_fit(preflight(output, inputs=(x,)), LAYERS, loss="binary_crossentropy", line=14, probe=PROBE,
                         **overrides)


def test_one_nan_in_the_inputs_is_gm201_where_it_is_written_with_row_and_column():
    report = check(SOURCE, _fit(1))
    assert report.codes() == ["GM201"]
    found = report.findings[0]
    assert (found.severity, found.line, found.layer) == ("error", 5, None)
    assert found.message == "`x` has 1 NaN at row 0, column 0"
    assert (found.evidence["nan_count"], found.evidence["first_row"], found.evidence["first_column"]) == (1, 0, 0)
    assert found.evidence["rows_scanned"] == found.evidence["rows_total"] == 64
    assert "the loss on the first batch still looks finite (0.759)" in found.notes
    assert any(note.startswith("the gradients of 1 of 4 weight tensors are not finite") for note in found.notes)
    assert [fix.id for fix in found.fixes] == ["drop-nonfinite-rows", "impute-column-means"]
    drop, impute = (fix.patched_source.splitlines() for fix in found.fixes)
    assert drop[6:8] == [("finite_rows = np.isfinite(x).reshape(len(x), -1).all(axis=1) & "
                          "np.isfinite(y).reshape(len(y), -1).all(axis=1)"),
                         "x, y = x[finite_rows], y[finite_rows]"]
    assert impute[5] == "x = np.where(np.isfinite(x), x, np.nanmean(np.where(np.isfinite(x), x, np.nan), axis=0))"
    assert_snapshot("GM201", render(report))


def test_finite_inputs_are_not_gm201():
    assert "GM201" not in check(SOURCE, _fit(0)).codes()


def test_a_nan_loss_during_training_follows_from_the_nan_in_the_data():
    model = model_info(*LAYERS)
    nan_loss = recording(model, loss=[math.nan] * 12, epochs=3,
                         nonfinite={"loss": NonfiniteEvent(step=1, loss=math.nan)},
                         origin={"stage": "data", "layer": None, "op": None, "frames": [],
                                 "message": "the sampled input batch already holds NaN/Inf"})
    report = check(SOURCE, _fit(1, model_info=model, recording=nan_loss))
    cause = report.codes().index("GM201")
    training = report.by_code("GM301")[0]
    assert training.caused_by == cause and report.findings[cause].caused_by is None
