import numpy as np
import keras

keras.utils.set_random_seed(4)
x = np.random.rand(64, 4).astype("float32")
y = (x @ np.array([[0.5], [-1.0], [2.0], [0.1]])).astype("float32")

small = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
small.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
wide = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)])
wide.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
small.fit(x, y, epochs=3, batch_size=16, verbose=0)
wide.fit(x, y, epochs=3, batch_size=16, verbose=0)
