import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 8, 1).astype("float32")
x[0, 3, 0] = np.nan
y = x[:, 4:, 0].mean(axis=1, keepdims=True)

model = keras.Sequential([
    keras.Input((8, 1)),
    keras.layers.Conv1D(4, 3, activation="relu"),
    keras.layers.MaxPooling1D(),
    keras.layers.Flatten(),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="sgd", loss="mse")
model.fit(x, y, epochs=2, batch_size=16, verbose=0, shuffle=False)
