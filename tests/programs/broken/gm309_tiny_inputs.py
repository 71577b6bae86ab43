import numpy as np
import keras

keras.utils.set_random_seed(0)
x = (np.random.normal(size=(64, 6)) * 1e-4).astype("float32")
y = (x[:, 0] > 0).astype("float32")

model = keras.Sequential([
    keras.Input((6,)),
    keras.layers.Dense(16, activation="relu"),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x, y, epochs=6, batch_size=16, verbose=0)
