"""GM301 from constructed evidence: the loss, a gradient or a weight went NaN/Inf during training."""

import math

from builders_recording import optimizer, recording
from evidence_builder import check, dense, fit_evidence, model_info, render
from snapshot import assert_snapshot

from gradmagic.evidence.facts.recording import NonfiniteEvent

NAN, INF = math.nan, math.inf

LOG_LOSS = """import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32")
y = (x[:, :1] > 0.5).astype("float32")


def cross_entropy(y_true, y_pred):
    return -tf.reduce_mean(y_true * tf.math.log(y_pred) + (1.0 - y_true) * tf.math.log(1.0 - y_pred))


model = keras.Sequential([
    keras.Input((4,)),
    keras.layers.Dense(8, activation="relu"),
    keras.layers.Dense(1),
])
model.compile(optimizer="adam", loss=cross_entropy)
model.fit(x, y, epochs=2, batch_size=16, verbose=0)
"""

DIVERGING = """import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.normal(size=(64, 4)).astype("float32")
y = x @ np.array([[1.0], [-2.0], [3.0], [0.5]], dtype="float32")

model = keras.Sequential([
    keras.Input((4,)),
    keras.layers.Dense(16, activation="relu"),
    keras.layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss="mse")
model.fit(x, y, epochs=4, batch_size=16, verbose=0)
"""

SMALL_MODEL = model_info((dense("dense", 8, inputs=4, activation="relu", line=16), 4, 8),
                         (dense("dense_1", 1, inputs=8, line=17), 8, 1))
WIDE_MODEL = model_info((dense("dense", 16, inputs=4, activation="relu", line=10), 4, 16),
                        (dense("dense_1", 1, inputs=16, line=11), 16, 1))
# the replay of the sampled batch names the op; its innermost frame in the checked file is the line
LOG_ORIGIN = {"stage": "loss", "layer": None, "op": "Log",
              "frames": [["/venv/gradmagic/evidence/postmortem.py", 46], ["train.py", 11],
                         ["/venv/tensorflow/python/ops/gen_math_ops.py", 5683]]}


def log_loss_fit(**overrides):
    rec = recording(SMALL_MODEL, loss=[NAN] * 8, layers={
        "dense": {"grad_norm": [2.2, 2.05, 1.44, 1.48, 2.05, 2.01, 1.37, 1.42], "update_ratio": 2.5e-3},
        "dense_1": {"grad_norm": [3.14, 3.10, 1.91, 2.04, 2.93, 2.89, 1.81, 1.94], "update_ratio": 2.9e-3},
    }, nonfinite={"loss": NonfiniteEvent(step=1, loss=NAN)}, origin=LOG_ORIGIN, **overrides)
    return fit_evidence(line=20, model_info=SMALL_MODEL, recording=rec)


def diverging_fit():
    """SGD at 0.5: the loss grows 1e22x in nine steps and overflows at step 10 (as the real run does)."""
    tail = [NAN] * 6
    rec = recording(WIDE_MODEL, epochs=4, trained_by=optimizer("SGD", 0.5), loss=[
        9.35, 3.23, 9.19, 10.8, 25.0, 47.5, 1305.5, 1.59e8, 2.63e23, INF, *tail], layers={
        "dense": {"grad_norm": [5.18, 7.07, 3.46, 8.58, 17.8, 25.0, 987.0, 2.36e6, 1.29e18, NAN, *tail],
                  "update_ratio": [0.63, 0.93, 0.42, 0.78, 1.31, 1.17, 1.01, 1.0, 1.0, NAN, *tail],
                  "zero_fraction": [0, 0, 0, 0, 0.0625, 0.31, 0.31, 0.19, 0.125, None, *[None] * 6]},
        "dense_1": {"grad_norm": [3.98, 5.83, 4.71, 4.01, 26.9, 43.4, 209.0, 3.95e6, 2.95e17, NAN, *tail],
                    "update_ratio": [0.75, 2.09, 1.11, 0.69, 1.17, 0.94, 1.12, 1.0, 1.0, NAN, *tail],
                    "zero_fraction": [0, 0, 0, 0, 0.0625, 0.31, 0.31, 0.19, 0.125, 0.125, *[None] * 6]},
    }, nonfinite={
        "loss": NonfiniteEvent(step=10, loss=INF),
        "gradient": NonfiniteEvent(step=10, layers=["dense", "dense_1"], count=4, loss=INF,
                                   variables=["sequential/dense/kernel", "sequential/dense/bias",
                                              "sequential/dense_1/kernel", "sequential/dense_1/bias"]),
        "weight": NonfiniteEvent(step=10, layers=["dense", "dense_1"], count=2, loss=INF, values=80,
                                 variables=["sequential/dense/kernel", "sequential/dense_1/kernel"]),
    })
    return fit_evidence(line=14, model_info=WIDE_MODEL, recording=rec)


def test_log_of_a_linear_output_names_the_op_line_and_step():
    report = check(LOG_LOSS, log_loss_fit())
    assert report.codes() == ["GM301"]
    found = report.findings[0]
    assert (found.code, found.severity, found.line, found.layer, found.step) == ("GM301", "error", 11, None, 1)
    assert (found.evidence["what"], found.evidence["value"], found.evidence["op"]) == ("the loss", "NaN", "Log")
    assert found.evidence["loss_nonfinite_step"] == 1 and found.evidence["nonfinite_gradient_variables"] == 0
    assert found.message == ("training turned NaN at step 1: the loss was NaN from step 1 on; "
                             "`log` on line 11 produces it")
    assert [fix.id for fix in found.fixes] == ["guard-op"]
    assert found.fixes[0].patched_source.splitlines()[10] == (
        "    return -tf.reduce_mean(y_true * tf.math.log(tf.maximum(y_pred, 1e-7)) + (1.0 - y_true) * "
        "tf.math.log(tf.maximum(1.0 - y_pred, 1e-7)))")
    assert_snapshot("GM301", render(report))


def test_nan_gradients_skipped_by_a_loss_scale_optimizer_are_not_gm301():
    gradient = NonfiniteEvent(step=3, layers=["dense"], variables=["sequential/dense/kernel"], count=1, loss=0.7)
    finite = {"loss": [0.71, 0.70, 0.70, 0.69, 0.69, 0.68, 0.68, 0.67], "nonfinite": {"gradient": gradient},
              "layers": {"dense": {"grad_norm": 0.5}, "dense_1": {"grad_norm": 0.8}}}
    scaled = recording(SMALL_MODEL, trained_by=optimizer("Adam", loss_scale=True), **finite)
    assert "GM301" not in check(LOG_LOSS, fit_evidence(line=20, model_info=SMALL_MODEL, recording=scaled)).codes()
    plain = recording(SMALL_MODEL, **finite)
    found = check(LOG_LOSS, fit_evidence(line=20, model_info=SMALL_MODEL, recording=plain)).by_code("GM301")
    assert [(f.step, f.layer, f.evidence["what"]) for f in found] == [(3, "dense", "gradients")]


def test_diverging_loss_follows_from_the_learning_rate_and_lowers_it():
    report = check(DIVERGING, diverging_fit())
    found = report.by_code("GM301")[0]
    assert (found.line, found.layer, found.step) == (13, None, 10)
    assert found.evidence["value"] == "Inf" and found.evidence["loss_growth"] > 1e20
    assert found.evidence["nonfinite_weights_after_fit"] == 80
    assert found.message == ("training turned Inf at step 10: the loss was Inf at step 10, then NaN/Inf to the end "
                             "(NaN at the last step, 16)")
    assert report.findings[found.caused_by].code == "GM307"
    assert found.fixes[0].patched_source.splitlines()[12] == (
        'model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.001), loss="mse")')


def test_weights_nan_two_steps_before_the_loss_are_gm310_not_gm301():
    weight = NonfiniteEvent(step=1, layers=["dense"], variables=["sequential/dense/kernel"], count=1, values=32)

    def fit(loss_step: int):
        loss = [0.7] * (loss_step - 1) + [NAN] * (9 - loss_step)
        rec = recording(SMALL_MODEL, loss=loss, layers={"dense": {"grad_norm": 0.5}, "dense_1": {"grad_norm": 0.8}},
                        nonfinite={"weight": weight, "loss": NonfiniteEvent(step=loss_step, loss=NAN)})
        return fit_evidence(line=20, model_info=SMALL_MODEL, recording=rec)

    assert {"GM301", "GM310"} & set(check(LOG_LOSS, fit(3)).codes()) == {"GM310"}
    assert {"GM301", "GM310"} & set(check(LOG_LOSS, fit(2)).codes()) == {"GM301"}
