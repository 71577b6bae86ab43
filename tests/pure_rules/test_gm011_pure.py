"""GM011 from constructed evidence: a custom loss computed from the targets only, never from `y_pred`."""

import numpy as np
from builders_gm0 import NO_GRADIENTS, failed, function_loss, prefixed, probe
from evidence_builder import check, dense, fit_evidence, model_info, render
from snapshot import assert_snapshot

from gradmagic.evidence.facts.data import DataSample

SOURCE = """import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32")
y = (x @ np.array([[1.0], [-2.0], [0.5], [3.0]])).astype("float32")


def centred_mse(y_true, y_pred):
    return tf.reduce_mean(tf.square(y_true - tf.reduce_mean(y_true)))


model = keras.Sequential([
    keras.Input((4,)),
    keras.layers.Dense(8, activation="relu"),
    keras.layers.Dense(1),
])
model.compile(optimizer="adam", loss=centred_mse)
history = model.fit(x, y, epochs=2, verbose=0)
"""

MODEL = prefixed(model_info((dense("dense", 8, inputs=4, activation="relu", line=16), 4, 8),
                            (dense("dense_1", 1, inputs=8, line=17), 8, 1)), "sequential")
VARIABLES = tuple(v.path for v in MODEL.variables)
REGRESSION_TARGETS = DataSample(kind="arrays", has_targets=True, batch_size=32, available=True,
                                y=np.random.default_rng(0).normal(1.0, 1.0, size=(32, 1)).astype("float32"))


def evidence(loss_probe, **overrides):
    return fit_evidence(line=20, model_info=MODEL, data=REGRESSION_TARGETS, loss=function_loss("centred_mse", 10),
                        probe=loss_probe, **overrides)


def test_a_loss_of_the_targets_only_is_gm011_and_the_cause_of_gm001():
    blind = probe(none=VARIABLES, loss=0.895, loss_reads_prediction=False, outputs_read=[False])
    report = check(SOURCE, evidence(blind, **failed("ValueError", NO_GRADIENTS)))
    assert report.codes() == ["GM011", "GM001"]
    found, symptom = report.findings
    assert (found.severity, found.line, found.layer) == ("error", 11, None)  # the `return` of centred_mse
    assert found.evidence == {"loss": "centred_mse", "outputs": 1, "outputs_read_by_loss": 0, "loss_value": 0.895,
                              "variables_without_gradient": 4, "trainable_variables": 4, "prediction_uses": [],
                              "fits": [0]}
    assert found.notes[0] == "the loss function never reads `y_pred`"
    assert symptom.caused_by == 0
    assert [(fix.id, fix.safety) for fix in found.fixes] == [("builtin-loss", "review")]
    assert found.fixes[0].patched_source.splitlines()[18] == 'model.compile(optimizer="adam", loss="mse")'
    assert_snapshot("GM011", render(report))


def test_a_loss_that_still_sends_every_weight_a_gradient_is_silent():
    # the value walk missed a read of the output, but the gradients prove the loss depends on it
    seen = probe(ok=VARIABLES, loss=0.895, loss_reads_prediction=False, outputs_read=[False])
    assert check(SOURCE, evidence(seen)).codes() == []


def test_an_unknown_value_path_is_silent():
    unknown = probe(none=VARIABLES, loss=0.895, loss_reads_prediction=None)
    assert "GM011" not in check(SOURCE, evidence(unknown, **failed("ValueError", NO_GRADIENTS))).codes()
