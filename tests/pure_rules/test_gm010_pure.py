"""GM010 from constructed evidence: `@tf.function` on a layer's `call` traced once with no weights to read."""

from dataclasses import replace

from builders_gm0 import NO_LOSS, probe
from evidence_builder import check, fit_evidence, render
from snapshot import assert_snapshot

from gradmagic.evidence.facts.model import (
    LayerInfo,
    ModelInfo,
    TracedCall,
    VariableInfo,
)

SOURCE = """import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32")
y = np.random.randint(0, 3, size=(64,))


class Block(keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(units, activation="relu")

    @tf.function(reduce_retracing=True)
    def call(self, inputs):
        return self.dense(inputs)


class Classifier(keras.Model):
    def __init__(self):
        super().__init__()
        self.block = Block(8, name="block")
        self.head = keras.layers.Dense(3)
        self.loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def call(self, inputs):
        return self.head(self.block(inputs))

    def train_step(self, data):
        features, labels = data
        with tf.GradientTape() as tape:
            loss = self.loss_fn(labels, self(features, training=True))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


model = Classifier()
model.compile(optimizer="adam")
history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
"""

BLOCK = ("classifier/block/dense/kernel", "classifier/block/dense/bias")
HEAD = ("classifier/dense_1/kernel", "classifier/dense_1/bias")
TRACED_BLIND = TracedCall(layer="block", class_name="Block", variables=2, traces=1, blind_traces=1,
                          variable_paths=BLOCK)


def layer(name: str, class_name: str, activation: str | None, params: int) -> LayerInfo:
    return LayerInfo(name=name, class_name=class_name, trainable=True, activation=activation, inbound=[], parent=None,
                     output_shape=None, params=params, line=39, class_chain=(class_name, "Layer"))


MODEL = ModelInfo(
    name="classifier", class_name="Classifier",
    layers=[layer("block", "Block", None, 40), layer("dense", "Dense", "relu", 40),
            layer("dense_1", "Dense", "linear", 27)],
    variables=[VariableInfo(BLOCK[0], "dense", "float32", (4, 8), True),
               VariableInfo(BLOCK[1], "dense", "float32", (8,), True),
               VariableInfo(HEAD[0], "dense_1", "float32", (8, 3), True),
               VariableInfo(HEAD[1], "dense_1", "float32", (3,), True)],
    traced_calls=[TRACED_BLIND], class_chain=("Classifier", "Model", "Trainer", "Layer"),
    layer_attributes=(("block", "block"), ("head", "dense_1")))


def evidence(model: ModelInfo, step_probe):
    return fit_evidence(line=41, model_info=model, loss=NO_LOSS, custom_train_step=True, probe=step_probe)


def test_tf_function_on_a_layer_call_is_gm010_and_the_cause_of_gm002():
    step_probe = probe("train_step", none=BLOCK, traced=HEAD, tape_calls=2, unreachable=[BLOCK[1]])
    report = check(SOURCE, evidence(MODEL, step_probe))
    assert report.codes() == ["GM010", "GM002"]
    found, symptom = report.findings
    assert (found.severity, found.line, found.layer) == ("warning", 15, "block")  # 2 of 4: the head still learns
    assert found.evidence == {"class": "Block", "variables_without_gradient": 2, "trainable_variables": 4,
                              "traces": 1, "traces_reading_no_variable": 1, "keras_raised": False, "fits": [0]}
    assert (symptom.caused_by, symptom.layer) == (0, "dense")
    assert "GM008" not in report.codes()  # the unreachable bias is GM010's to explain
    assert [(fix.id, fix.safety) for fix in found.fixes] == [("remove-tf-function", "safe")]
    assert found.fixes[0].patched_source.splitlines()[13:16] == ["", "    def call(self, inputs):",
                                                                 "        return self.dense(inputs)"]
    assert_snapshot("GM010", render(report))


def test_a_traced_call_that_reads_its_weights_is_silent():
    reads = replace(MODEL, traced_calls=[replace(TRACED_BLIND, blind_traces=0)])
    assert check(SOURCE, evidence(reads, probe("train_step", traced=BLOCK + HEAD, tape_calls=2))).codes() == []
