import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32")
y = x.sum(axis=1, keepdims=True)

inputs = keras.Input((4,))
left = keras.layers.Dense(8, activation="relu", name="left")(inputs)
right = keras.layers.Dense(8, activation="relu", name="right")(inputs)
right = keras.layers.Lambda(lambda t: tf.stop_gradient(t), name="freeze_right")(right)
merged = keras.layers.Concatenate(name="merge")([left, right])
outputs = keras.layers.Dense(1, name="head")(merged)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="mse")
history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
