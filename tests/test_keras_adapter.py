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
