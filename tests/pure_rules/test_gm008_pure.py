"""GM008 from constructed evidence: a raw `tf.Variable` attribute of a custom layer, which Keras 3 never trains."""

from dataclasses import replace

from builders_gm0 import prefixed, weightless
from evidence_builder import check, dense, fit_evidence, model_info, render
from snapshot import assert_snapshot

from gradmagic.evidence.facts.model import UntrackedVariable

SOURCE = """import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32")
y = 3.0 * (x @ np.array([[1.0], [-2.0], [0.5], [1.5]], dtype="float32"))


class Scale(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.scale = tf.Variable(1.0)

    def call(self, inputs):
        return inputs * self.scale


model = keras.Sequential([
    keras.Input((4,)),
    keras.layers.Dense(1),
    Scale(name="scale"),
])
model.compile(optimizer="adam", loss="mse")
history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
"""

RAW = UntrackedVariable(layer="scale", class_name="Scale", attribute="scale", dtype="float32", shape=(),
                        trainable=True)
MODEL = prefixed(model_info((dense("dense", 1, inputs=4, line=21), 4, 1)), "sequential")
MODEL = replace(MODEL, layers=[*MODEL.layers, weightless("scale", "Scale", line=22, inbound=["dense"], units=1)],
                untracked=[RAW])


def test_a_raw_tf_variable_is_gm008_with_an_add_weight_fix():
    report = check(SOURCE, fit_evidence(line=25, model_info=MODEL))
    assert report.codes() == ["GM008"]
    found = report.findings[0]
    assert (found.severity, found.line, found.layer) == ("warning", 13, "scale")  # 2 other variables still learn
    assert found.evidence == {"attribute": "scale", "class": "Scale", "dtype": "float32", "shape": [],
                              "tracked_trainable_variables": 2, "fits": [0]}
    assert [(fix.id, fix.safety) for fix in found.fixes] == [("use-add-weight", "safe")]
    assert found.fixes[0].patched_source.splitlines()[12] == \
        "        self.scale = self.add_weight(shape=(), initializer=keras.initializers.Constant(1.0))"
    assert_snapshot("GM008", render(report))


def test_a_raw_variable_made_not_trainable_is_silent():
    constant = replace(MODEL, untracked=[replace(RAW, trainable=False)])
    assert check(SOURCE, fit_evidence(line=25, model_info=constant)).codes() == []


def test_it_is_an_error_when_no_tracked_variable_is_left_to_learn():
    frozen = replace(MODEL, variables=[replace(v, trainable=False) for v in MODEL.variables])
    found = check(SOURCE, fit_evidence(line=25, model_info=frozen)).by_code("GM008")[0]
    assert (found.severity, found.evidence["tracked_trainable_variables"]) == ("error", 0)
