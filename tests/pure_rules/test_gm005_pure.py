"""GM005 from constructed evidence: the loss is negated after the `GradientTape` block of a `train_step`."""

from builders_gm0 import NO_GRADIENTS, NO_LOSS, failed, probe, subclassed
from evidence_builder import check, fit_evidence, render
from snapshot import assert_snapshot

from gradmagic.evidence.facts.probe import OutsideTape, ProbeError

SOURCE = """import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32")
y = (x @ np.array([[1.0], [-2.0], [0.5], [1.5]])).astype("float32")


class Regressor(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = keras.layers.Dense(8, activation="relu")
        self.out = keras.layers.Dense(1)

    def call(self, inputs):
        return self.out(self.hidden(inputs))

    def train_step(self, data):
        features, targets = data
        with tf.GradientTape() as tape:
            predictions = self(features, training=True)
            loss = keras.ops.mean(keras.ops.square(targets - predictions))
        loss = -loss  # maximise the negative error
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


model = Regressor()
model.compile(optimizer="adam")
model.fit(x, y, epochs=2, batch_size=16, verbose=0)
"""

MODEL = subclassed("regressor", "Regressor", ("dense", 4, 8, "relu"), ("dense_1", 8, 1, "linear"), line=30,
                   attributes=("hidden", "out"))
VARIABLES = tuple(v.path for v in MODEL.variables)
NEGATED = OutsideTape(op_type="Neg", line=24, variables=list(VARIABLES), lines=[24], gradients_missing=True,
                      target_line=24)


def evidence(step_probe):
    return fit_evidence(line=32, model_info=MODEL, loss=NO_LOSS, custom_train_step=True, probe=step_probe,
                        **failed("ValueError", NO_GRADIENTS, 26))


def test_loss_negated_after_the_tape_is_gm005_and_causes_gm001():
    step_probe = probe("train_step", none=VARIABLES, outside_tape=[NEGATED], tape_calls=1,
                       error=ProbeError("ValueError", NO_GRADIENTS, 26))
    report = check(SOURCE, evidence(step_probe))
    assert report.codes() == ["GM005", "GM001"]
    found, symptom = report.findings
    assert (found.severity, found.line, found.layer) == ("error", 24, None)
    assert found.evidence == {"op": "Neg", "outside_lines": [24], "trainable_variables": 4, "tape_block": [21, 23],
                              "position": "after", "variables_without_gradient": 4, "fits": [0]}
    assert found.message == ("`loss = -loss` runs after the `GradientTape` block ends, so 4 of 4 trainable "
                             "variables get no gradient")
    assert symptom.caused_by == 0 and symptom.fixes == found.fixes
    assert [(fix.id, fix.safety) for fix in found.fixes] == [("move-into-tape", "safe")]
    assert found.fixes[0].patched_source.splitlines()[20:25] == [
        "        with tf.GradientTape() as tape:",
        "            predictions = self(features, training=True)",
        "            loss = keras.ops.mean(keras.ops.square(targets - predictions))",
        "            loss = -loss  # maximise the negative error",
        "        grads = tape.gradient(loss, self.trainable_variables)"]
    assert_snapshot("GM005", render(report))


def test_a_step_that_computes_everything_on_the_tape_is_silent():
    healthy = fit_evidence(line=32, model_info=MODEL, loss=NO_LOSS, custom_train_step=True,
                           probe=probe("train_step", traced=VARIABLES, tape_calls=1))
    assert check(SOURCE, healthy).codes() == []


def test_outside_tape_only_counts_for_a_traced_train_step():
    # the compiled-loss probe has no tape of the user's: an op outside a tape there is not GM005
    compiled = probe("compile", ok=VARIABLES, outside_tape=[NEGATED])
    assert "GM005" not in check(SOURCE, fit_evidence(line=32, model_info=MODEL, probe=compiled)).codes()
