import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 6).astype("float32")
y = np.random.randint(0, 4, size=(64,))

inputs = keras.Input((6,))
hidden = keras.layers.Dense(16, activation="relu")(inputs)
logits = keras.layers.Dense(1)(hidden)
outputs = keras.layers.Softmax()(logits)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
