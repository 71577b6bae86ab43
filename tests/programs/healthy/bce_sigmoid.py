import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.normal(size=(64, 4)).astype("float32")
y = (x[:, 0] - x[:, 2] > 0).astype("float32").reshape(-1, 1)

model = keras.Sequential([
    keras.Input((4,)),
    keras.layers.Dense(8, activation="relu"),
    keras.layers.Dropout(0.1),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
