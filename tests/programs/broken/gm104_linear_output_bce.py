import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.normal(size=(64, 4)).astype("float32")
y = (x[:, 0] + x[:, 1] > 0).astype("float32").reshape(-1, 1)

inputs = keras.Input((4,))
hidden = keras.layers.Dense(16, activation="relu")(inputs)
score = keras.layers.Dense(1)(hidden)
model = keras.Model(inputs, score)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
