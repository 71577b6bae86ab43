import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32")
y = (x @ np.array([[1.0], [-2.0], [0.5], [1.5]])).astype("float32")


def batches(batch_size=16):
    while True:
        for start in range(0, len(x), batch_size):
            # features and targets of one batch
            yield [x[start:start + batch_size], y[start:start + batch_size]]


model = keras.Sequential([
    keras.Input((4,)),
    keras.layers.Dense(8, activation="relu"),
    keras.layers.Dense(1),
])
model.compile(optimizer="adam", loss="mse")
model.fit(batches(), steps_per_epoch=4, epochs=2, verbose=0)
