import numpy as np
import keras

keras.utils.set_random_seed(4)
measurements = np.random.normal(size=(160, 8)).astype("float32")
grade = (measurements[:, 0] * measurements[:, 1] > 0).astype("float32")

init = keras.initializers.RandomNormal(mean=0.0, stddev=1.5)
model = keras.Sequential([
    keras.Input((8,)),
    keras.layers.Dense(40, activation="relu", kernel_initializer=init),
    keras.layers.Dense(40, activation="relu", kernel_initializer=init),
    keras.layers.Dense(40, activation="relu", kernel_initializer=init),
    keras.layers.Dense(40, activation="relu", kernel_initializer=init),
    keras.layers.Dense(40, activation="relu", kernel_initializer=init),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy")
history = model.fit(measurements, grade, epochs=3, batch_size=16, verbose=0)
