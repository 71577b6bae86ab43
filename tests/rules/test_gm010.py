"""GM010 traced-call: `@tf.function` on a subclassed `call` under Keras 3."""

import keras
import numpy as np
import tensorflow as tf
from helpers import assert_fix_verified, check_program, check_source, only

from gradmagic.core import keras_adapter
from gradmagic.evidence.model_info import traced_call


def test_tf_function_on_a_subclassed_model_call():
    run = check_program("broken/gm010_tf_function_model")
    finding = only(run.report, "GM010")
    assert finding.severity == "error"
    assert finding.line == 16
    assert finding.layer == "regressor"
    assert finding.evidence["class"] == "Regressor"
    assert (finding.evidence["variables_without_gradient"], finding.evidence["trainable_variables"]) == (4, 4)
    assert finding.evidence["traces_reading_no_variable"] >= 1
    assert finding.evidence["keras_raised"] is True
    assert run.report.fits[0].status == "failed"
    assert "GM001" in run.report.codes()
    fix = finding.fixes[0]
    assert fix.safety == "safe"
    assert "@tf.function" not in fix.patched_source
    assert "    def call(self, inputs):" in fix.patched_source
    patched = assert_fix_verified(run, "GM010")
    assert "GM001" not in patched.report.codes()


def test_tf_function_on_a_layer_call_in_a_custom_train_step():
    run = check_program("broken/gm010_tf_function_layer")
    finding = only(run.report, "GM010")
    assert finding.severity == "warning"
    assert finding.line == 15
    assert finding.layer == "block"
    assert finding.evidence["class"] == "Block"
    assert (finding.evidence["variables_without_gradient"], finding.evidence["trainable_variables"]) == (2, 4)
    assert finding.evidence["keras_raised"] is False
    assert "dense" in only(run.report, "GM002").evidence["layers_without_gradient"]
    assert "@tf.function(reduce_retracing=True)" not in finding.fixes[0].patched_source
    patched = assert_fix_verified(run, "GM010")
    assert "GM002" not in patched.report.codes()


def test_tf_function_call_that_reads_its_weights_is_not_reported():
    source = """
import numpy as np, tensorflow as tf, keras
keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32"); y = np.random.rand(64, 1).astype("float32")

class Linear(keras.layers.Layer):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 1))

    @tf.function
    def call(self, inputs):
        return inputs @ self.w

model = keras.Sequential([keras.Input((4,)), Linear()])
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=16, verbose=0)
"""
    run = check_source(source, "/tmp/gm010_reads_weights.py")
    assert run.report.fits[0].status == "completed"
    assert "GM010" not in run.report.codes()


def test_keras_adapter_lists_traced_graphs_without_tracing():
    class Block(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)

        @tf.function
        def call(self, inputs):
            return self.dense(inputs)

    block = Block()
    assert keras_adapter.traced_graphs(block.call) == []
    block(np.zeros((3, 4), "float32"))
    assert len(keras_adapter.traced_graphs(block.call)) == 1
    info = traced_call(block)
    assert (info.variables, info.traces) == (2, 1)
    assert keras_adapter.traced_graphs(lambda: None) == []
