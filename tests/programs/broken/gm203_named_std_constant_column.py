import numpy as np
import keras

keras.utils.set_random_seed(59)
X = np.random.normal(3.0, 2.0, size=(200, 5)).astype("float32")
X[:, 3] = 7.0
y = (X[:, 0] - X[:, 1] > 0).astype("float32")
mu = X.mean(0)
sd = X.std(0)
X = (X - mu) / sd

model = keras.Sequential([
    keras.Input((5,)),
    keras.layers.Dense(10, activation="relu"),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy")
history = model.fit(X, y, batch_size=20, epochs=2, verbose=0)
