import numpy as np
import keras

keras.utils.set_random_seed(53)
digit = np.random.randint(0, 10, size=250)
glyphs = np.random.rand(250, 16).astype("float32")
glyphs[np.arange(250), digit] += 3.0
digit = digit / 10
digit = digit.reshape(-1, 1)

model = keras.Sequential([
    keras.Input((16,)),
    keras.layers.Dense(24, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
history = model.fit(glyphs, digit, batch_size=25, epochs=3, verbose=0)
