import numpy as np
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
