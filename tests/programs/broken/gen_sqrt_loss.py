import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(5)
inputs = np.random.uniform(-1.0, 1.0, size=(200, 3)).astype("float32")
counts = np.random.poisson(np.exp(1.0 + inputs @ np.array([0.5, -0.3, 0.2], dtype="float32"))).astype("float32")


def hellinger(y_true, y_pred):
    return tf.reduce_mean(tf.square(tf.sqrt(y_pred) - tf.sqrt(y_true)))


regressor = keras.Sequential([
    keras.Input((3,)),
    keras.layers.Dense(12, activation="tanh"),
    keras.layers.Dense(1),
])
regressor.compile(optimizer="adam", loss=hellinger)
history = regressor.fit(inputs, counts.reshape(-1, 1), epochs=4, batch_size=20, verbose=0)
