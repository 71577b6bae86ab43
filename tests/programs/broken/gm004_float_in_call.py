import numpy as np
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
        scale = float(tf.reduce_max(inputs))
        return self.out(self.hidden(inputs / scale))


model = Regressor()
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=2, verbose=0)
