import numpy as np
import keras

keras.utils.set_random_seed(17)
counts = np.random.randint(0, 6, size=(128, 5)).astype("float32")
counts[40] = 0.0
shares = counts / counts.sum(axis=1, keepdims=True)
busy = (counts.sum(axis=1) > 12).astype("float32")

model = keras.Sequential([
    keras.Input((5,)),
    keras.layers.Dense(10, activation="relu"),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy")
history = model.fit(shares, busy, epochs=2, batch_size=16, verbose=0)
