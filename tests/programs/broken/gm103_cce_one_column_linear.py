import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32")
y = (x.sum(axis=1, keepdims=True) > 2.0).astype("float32")

model = keras.Sequential([
    keras.Input((4,)),
    keras.layers.Dense(16, activation="relu"),
    keras.layers.Dense(1),
])
model.compile(optimizer="adam", loss="categorical_crossentropy")
history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
