# A loss built from argmax: Keras says "No gradients provided for any variable".
# Run: python -m gradmagic check examples/argmax_loss.py
import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32")
y = np.random.randint(0, 3, size=(64,))


def accuracy_loss(y_true, y_pred):
    hits = tf.equal(tf.argmax(y_pred, axis=-1), tf.cast(y_true, tf.int64))
    return 1.0 - tf.reduce_mean(tf.cast(hits, tf.float32))


model = keras.Sequential([
    keras.Input((4,)),
    keras.layers.Dense(8, activation="relu"),
    keras.layers.Dense(3, activation="softmax"),
])
model.compile(optimizer="adam", loss=accuracy_loss)
model.fit(x, y, epochs=2, verbose=0)
