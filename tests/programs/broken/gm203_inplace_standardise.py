import numpy as np
import keras

keras.utils.set_random_seed(0)
features = np.random.normal(loc=3.0, scale=2.0, size=(64, 5)).astype("float32")
features[:, [1, 4]] = 0.0
targets = features[:, :1] * 2.0
features -= features.mean(axis=0)
features /= np.std(features, axis=0)

model = keras.Sequential([
    keras.Input((5,)),
    keras.layers.Dense(8, activation="tanh"),
    keras.layers.Dense(1),
])
model.compile(optimizer="adam", loss="mse")
history = model.fit(features, targets, epochs=3, batch_size=16, verbose=0)
