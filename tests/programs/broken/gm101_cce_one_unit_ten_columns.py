import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32")
labels = np.random.randint(0, 10, size=64)
y = keras.utils.to_categorical(labels, 10)

model = keras.Sequential([
    keras.Input((4,)),
    keras.layers.Dense(16, activation="relu"),
    keras.layers.Dense(1),
])
model.compile(optimizer="adam", loss="categorical_crossentropy")
history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
