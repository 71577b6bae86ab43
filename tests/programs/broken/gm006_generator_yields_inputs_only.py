import numpy as np
import keras

rng = np.random.default_rng(0)
features = rng.normal(size=(128, 3)).astype("float32")
targets = (features @ np.array([[0.5], [-1.0], [2.0]])).astype("float32")


def sample_batches(batch_size=16):
    while True:
        rows = rng.integers(0, len(features), size=batch_size)
        yield features[rows]


model = keras.Sequential([
    keras.Input((3,)),
    keras.layers.Dense(8, activation="relu"),
    keras.layers.Dense(1),
])
model.compile(optimizer="sgd", loss="mae")
model.fit(sample_batches(), steps_per_epoch=4, epochs=2, verbose=0)
