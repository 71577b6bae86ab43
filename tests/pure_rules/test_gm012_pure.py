"""GM012 from constructed evidence: a non-persistent tape asked twice; a tape that watches nothing."""

from builders_gm0 import (
    NO_GRADIENTS,
    NO_LOSS,
    SPARSE_LOGITS_LOSS,
    failed,
    probe,
    subclassed,
)
from evidence_builder import check, dense, fit_evidence, model_info, render
from snapshot import assert_snapshot

from gradmagic.evidence.facts.probe import ProbeError

TWICE = """import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32")
y = np.random.rand(64, 1).astype("float32")


class Model2(keras.Model):
    def __init__(self):
        super().__init__()
        self.a = keras.layers.Dense(8, activation="relu")
        self.b = keras.layers.Dense(1)

    def call(self, inputs):
        return self.b(self.a(inputs))

    def train_step(self, data):
        features, targets = data
        with tf.GradientTape({persistent}) as tape:
            pred = self(features, training=True)
            loss = keras.ops.mean(keras.ops.square(targets - pred))
            reg = keras.ops.mean(keras.ops.square(pred))
        grads = tape.gradient(loss, self.trainable_variables)
        reg_grads = tape.gradient(reg, self.trainable_variables)
        grads = [g + 0.01 * r for g, r in zip(grads, reg_grads)]
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {{"loss": loss}}


model = Model2()
model.compile(optimizer="adam")
model.fit(x, y, epochs=1, batch_size=16, verbose=0)
"""
NON_PERSISTENT = "A non-persistent GradientTape can only be used to compute one set of gradients (or jacobians)"
MODEL = subclassed("model2", "Model2", ("dense", 4, 8, "relu"), ("dense_1", 8, 1, "linear"), line=32,
                   attributes=("a", "b"))
VARIABLES = tuple(v.path for v in MODEL.variables)


def test_a_tape_asked_twice_is_gm012_with_a_persistent_tape_fix():
    raised = ProbeError("RuntimeError", NON_PERSISTENT, 26)
    step_probe = probe("train_step", traced=VARIABLES, tape_calls=1, error=raised)
    fit = fit_evidence(line=34, model_info=MODEL, loss=NO_LOSS, custom_train_step=True, probe=step_probe,
                       **failed("RuntimeError", NON_PERSISTENT, 26))
    report = check(TWICE.format(persistent=""), fit)
    assert report.codes() == ["GM012"]
    found = report.findings[0]
    assert (found.severity, found.line, found.layer) == ("error", 26, None)
    assert found.evidence == {"exception_type": "RuntimeError", "exception_message": NON_PERSISTENT, "tape": "tape",
                              "tape_line": 21, "gradient_calls": [25, 26], "fits": [0]}
    assert found.message.startswith("the non-persistent tape `tape` (line 21) is asked for a second set of gradients "
                                    "after line 25")
    assert [(fix.id, fix.safety) for fix in found.fixes] == [("persistent-tape", "safe")]
    assert found.fixes[0].patched_source.splitlines()[20] == "        with tf.GradientTape(persistent=True) as tape:"
    assert_snapshot("GM012", render(report))


def test_a_persistent_tape_asked_twice_is_silent():
    fit = fit_evidence(line=34, model_info=MODEL, loss=NO_LOSS, custom_train_step=True,
                       probe=probe("train_step", traced=VARIABLES, tape_calls=1))
    assert check(TWICE.format(persistent="persistent=True"), fit).codes() == []


WATCH_NOTHING = """import tensorflow as tf
import keras


class Trainer(keras.Model):
    def train_step(self, data):
        x, y = data
        tape = tf.GradientTape(
            watch_accessed_variables=False)
        with tape:
            logits = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=logits)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


inputs = keras.Input((5,))
hidden = keras.layers.Dense(8, activation="relu", name="hidden")(inputs)
outputs = keras.layers.Dense(2, name="logits")(hidden)
model = Trainer(inputs, outputs)
model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
model.fit(features, labels, epochs=2, batch_size=32, verbose=0)
"""


def test_a_tape_that_watches_nothing_is_the_cause_of_gm001():
    trainer = model_info((dense("hidden", 8, inputs=5, activation="relu", line=19), 5, 8),
                         (dense("logits", 2, inputs=8, line=20), 8, 2), name="trainer", class_name="Trainer")
    paths = tuple(v.path for v in trainer.variables)
    step_probe = probe("train_step", none=paths, tape_calls=1, error=ProbeError("ValueError", NO_GRADIENTS, 14))
    fit = fit_evidence(line=23, model_info=trainer, loss=SPARSE_LOGITS_LOSS, custom_train_step=True, probe=step_probe,
                       **failed("ValueError", NO_GRADIENTS, 14))
    report = check(WATCH_NOTHING, fit)
    assert report.codes() == ["GM012", "GM001"]
    cause, symptom = report.findings
    assert (cause.line, cause.evidence["tape_line"], cause.evidence["variables_without_gradient"]) == (9, 8, 4)
    assert symptom.caused_by == 0
    assert [fix.id for fix in symptom.fixes] == ["watch-accessed-variables"]
    assert cause.fixes[0].patched_source.splitlines()[7] == "        tape = tf.GradientTape()"
