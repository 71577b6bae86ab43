import numpy as np
import tensorflow as tf
import keras


class AbsoluteError(keras.losses.Loss):
    """Mean absolute error, written by hand."""

    def call(self, targets, predictions):
        return keras.ops.mean(keras.ops.abs(targets - predictions), axis=-1)


keras.utils.set_random_seed(0)
features = np.random.normal(size=(64, 4)).astype("float32")
targets = features.sum(axis=1) / 2.0
dataset = tf.data.Dataset.from_tensor_slices((features, targets)).batch(16)

inputs = keras.Input((4,))
hidden = keras.layers.Dense(8, activation="tanh")(inputs)
outputs = keras.layers.Dense(1)(hidden)
model = keras.Model(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(0.01), loss=AbsoluteError())
history = model.fit(dataset, epochs=3, verbose=0)
