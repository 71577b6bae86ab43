"""Every private Keras/TF attribute gradmagic relies on, exercised so an upgrade fails here first."""

import keras
import numpy as np
import tensorflow as tf

from gradmagic.core import keras_adapter


def _functional():
    inputs = keras.Input((3,), name="in")
    hidden = keras.layers.Dense(4, name="hidden")(inputs)
    out = keras.layers.Dense(1, name="out")(hidden)
    return keras.Model(inputs, out)


def test_flatten_layers_and_inbound_names():
    model = _functional()
    names = [layer.name for layer in keras_adapter.flatten_layers(model)]
    assert names == ["in", "hidden", "out"]
    assert keras_adapter.inbound_layer_names(model.get_layer("out")) == ["hidden"]


def test_custom_train_step_detection():
    class Custom(keras.Model):
        def train_step(self, data):
            return {}

    assert keras_adapter.has_custom_train_step(Custom()) is True
    assert keras_adapter.has_custom_train_step(_functional()) is False


def test_compile_state_and_handles():
    model = _functional()
    assert keras_adapter.is_compiled(model) is False
    model.compile(loss="mse")
    assert keras_adapter.is_compiled(model) is True
    assert keras_adapter.compiled_loss_config(model) == "mse"
    handle = keras_adapter.variable_handle(model.trainable_variables[0])
    assert handle is not None and handle.dtype == tf.resource


def test_symbolic_build_builds_like_fit():
    model = keras.Sequential([keras.layers.Dense(2)])
    model.compile(loss="mse")
    keras_adapter.symbolic_build(model, (np.zeros((4, 3), "float32"), np.zeros((4, 2), "float32"), None))
    assert model.built and model.layers[0].kernel.shape == (3, 2)


def test_dataset_reshuffles():
    plain = tf.data.Dataset.range(10).batch(2)
    shuffled = tf.data.Dataset.range(10).shuffle(10, seed=1).batch(2)
    assert keras_adapter.dataset_reshuffles(plain) is False
    assert keras_adapter.dataset_reshuffles(shuffled) is True


def test_optimizer_built_for_counts_the_variables_of_its_build():
    optimizer = keras.optimizers.Adam()
    assert keras_adapter.optimizer_built_for(optimizer) == 0  # not built yet: built for nothing
    model = _functional()
    optimizer.build(model.trainable_variables)
    assert keras_adapter.optimizer_built_for(optimizer) == len(model.trainable_variables) == 4
    assert keras_adapter.optimizer_built_for(object()) is None


def test_plain_variable_made_in_a_replica_trace_is_one_eager_variable():
    """Made at a traced step's first run inside a strategy's replica (the recorder's lazy buffers): one
    variable that outlives the trace, where ``tf.Variable`` there gives a mirrored one."""
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    made: dict[str, object] = {}

    @tf.function
    def step():
        if not made:
            made["plain"] = keras_adapter.plain_variable(np.zeros(3, np.float32), "plain")
            made["tf"] = tf.Variable(np.zeros(3, np.float32), trainable=False)
        return made["plain"].assign_add(tf.ones(3))

    with strategy.scope():
        strategy.run(step)
        strategy.run(step)
    assert isinstance(made["tf"], tf.distribute.DistributedValues)  # what the adapter steps around
    assert not isinstance(made["plain"], tf.distribute.DistributedValues)
    assert made["plain"].trainable is False
    np.testing.assert_array_equal(made["plain"].numpy(), [2.0, 2.0, 2.0])
