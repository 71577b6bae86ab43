import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(1)
features = np.random.rand(48, 5).astype("float32")
classes = np.random.randint(0, 3, size=(48,))

inputs = keras.Input((5,))
hidden = keras.layers.Dense(6, activation="relu")(inputs)
probabilities = keras.layers.Dense(3, activation="softmax", name="probabilities")(hidden)
model = keras.Model(inputs, probabilities)


def placeholder_loss(y_true, y_pred):
    return tf.constant(1.0)


model.compile(optimizer="adam", loss=placeholder_loss)
history = model.fit(features, classes, epochs=2, verbose=0)
