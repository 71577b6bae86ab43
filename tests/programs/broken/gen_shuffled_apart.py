import numpy as np
import keras

rng = np.random.default_rng(21)
keras.utils.set_random_seed(21)
X = rng.normal(size=(640, 6)).astype("float32")
y = (X[:, 0] + X[:, 1] > 0).astype("float32")
X = rng.permutation(X)
y = rng.permutation(y)

model = keras.Sequential([
    keras.Input((6,)),
    keras.layers.Dense(8, activation="relu"),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.003), loss="binary_crossentropy")
history = model.fit(X, y, epochs=4, batch_size=32, verbose=0)
