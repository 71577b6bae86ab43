import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(2)
x = np.random.rand(64, 3).astype("float32")
y = (x.sum(axis=1, keepdims=True) > 1.5).astype("float32")


class BatchMeanLoss(keras.losses.Loss):
    def call(self, y_true, y_pred):
        batch = tf.cast(tf.shape(y_pred)[0], tf.float32)
        return tf.reduce_sum(tf.abs(y_true - 0.5)) / batch


model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"),
                          keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss=BatchMeanLoss())
history = model.fit(x, y, epochs=2, verbose=0)
