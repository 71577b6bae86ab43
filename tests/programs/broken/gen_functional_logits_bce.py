import numpy as np
import keras

keras.utils.set_random_seed(14)
sensor = np.random.normal(size=(200, 6)).astype("float32")
alarm = (sensor[:, 0] - sensor[:, 3] > 0.2).astype("float32")

inputs = keras.Input((6,), name="sensor")
hidden = keras.layers.Dense(16, activation="relu")(inputs)
score = keras.layers.Dense(1, name="alarm_score")(hidden)
monitor = keras.Model(inputs, score)
monitor.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy", metrics=["accuracy"])
history = monitor.fit(sensor, alarm, epochs=3, batch_size=20, verbose=0)
