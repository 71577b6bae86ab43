import numpy as np
import tensorflow as tf
import keras


class Binarize(keras.layers.Layer):
    def call(self, inputs):
        return tf.sign(inputs)


keras.utils.set_random_seed(6)
pixels = np.random.uniform(-1.0, 1.0, size=(192, 16)).astype("float32")
target = (pixels[:, :8].sum(axis=1) > 0).astype("float32")

binary_net = keras.Sequential([
    keras.Input((16,)),
    keras.layers.Dense(20),
    Binarize(),
    keras.layers.Dense(1, activation="sigmoid"),
])
binary_net.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy")
history = binary_net.fit(pixels, target, epochs=4, batch_size=16, verbose=0)
