import numpy as np
import keras

keras.utils.set_random_seed(4)
x = np.random.rand(64, 4).astype("float32")
y = (x @ np.array([[0.5], [-1.0], [2.0], [0.1]])).astype("float32")

opt = keras.optimizers.Adam(1e-3)
small = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
small.compile(optimizer=opt, loss="mse")
wide = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)])
wide.compile(optimizer=opt, loss="mse")
small.fit(x, y, epochs=2, batch_size=16, verbose=0)
wide.fit(x, y, epochs=2, batch_size=16, verbose=0)
