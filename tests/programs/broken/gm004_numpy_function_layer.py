import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32")
y = (x @ np.array([[1.0], [-2.0], [0.5], [1.5]])).astype("float32")


class NumpyTanh(keras.layers.Layer):
    def call(self, inputs):
        outputs = tf.numpy_function(np.tanh, [inputs], tf.float32)
        return tf.ensure_shape(outputs, inputs.shape)


model = keras.Sequential([
    keras.Input((4,)),
    keras.layers.Dense(8, name="hidden"),
    NumpyTanh(name="squash"),
    keras.layers.Dense(1, name="head"),
])
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=2, verbose=0)
