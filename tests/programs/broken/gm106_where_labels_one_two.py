import numpy as np
import keras

keras.utils.set_random_seed(47)
measurements = np.random.normal(size=(240, 6)).astype("float32")
status = np.where(measurements[:, 0] + measurements[:, 1] > 0, 2, 1)
status = status.astype("float32")

inputs = keras.Input((6,))
hidden = keras.layers.Dense(12, activation="relu")(inputs)
is_faulty = keras.layers.Dense(1, activation="sigmoid", name="is_faulty")(hidden)
detector = keras.Model(inputs, is_faulty)
detector.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
history = detector.fit(measurements, status, batch_size=24, epochs=2, verbose=0)
