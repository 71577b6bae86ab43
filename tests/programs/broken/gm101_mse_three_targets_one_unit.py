import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.normal(size=(64, 5)).astype("float32")
weights = np.random.normal(size=(5, 3)).astype("float32")
y = x @ weights

inputs = keras.Input((5,))
hidden = keras.layers.Dense(16, activation="tanh")(inputs)
outputs = keras.layers.Dense(1)(hidden)
model = keras.Model(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
