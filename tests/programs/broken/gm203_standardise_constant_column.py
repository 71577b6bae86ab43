import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.normal(loc=5.0, size=(64, 4)).astype("float32")
x[:, 2] = 1.0
y = (x[:, :1] > 5.0).astype("float32")
x = (x - x.mean(axis=0)) / x.std(axis=0)

model = keras.Sequential([
    keras.Input((4,)),
    keras.layers.Dense(8, activation="relu"),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy")
history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
