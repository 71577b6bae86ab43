import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(1)
rng = np.random.default_rng(1)
x = rng.normal(size=(96, 3)).astype("float32")
y = (x @ np.array([[2.0], [-1.0], [0.5]])).astype("float32")


class Projection(keras.layers.Layer):
    def build(self, input_shape):
        self.kernel = tf.Variable(tf.zeros((input_shape[-1], 1)), trainable=False)

    def call(self, inputs):
        return tf.matmul(inputs, self.kernel)


model = keras.Sequential([keras.Input((3,)), Projection()])
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=2, batch_size=32, verbose=0)
