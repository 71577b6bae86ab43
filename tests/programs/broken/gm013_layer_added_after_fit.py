import numpy as np
import keras

keras.utils.set_random_seed(6)
x = np.random.rand(64, 4).astype("float32")
y = np.random.rand(64, 1).astype("float32")

model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu")])
model.compile(optimizer="adam", loss="mse")
model.fit(x, np.random.rand(64, 8).astype("float32"), epochs=1, verbose=0)
model.add(keras.layers.Dense(1))
model.fit(x, y, epochs=1, verbose=0)
