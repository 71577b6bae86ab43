import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.normal(size=(64, 8)).astype("float32")
y = (x[:, :1] > 0).astype("float32")

model = keras.Sequential([
    keras.Input((8,)),
    *[keras.layers.Dense(16, activation="sigmoid") for _ in range(8)],
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x, y, epochs=2, batch_size=16, verbose=0)
