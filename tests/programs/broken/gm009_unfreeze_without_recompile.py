import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32")
y = np.random.randint(0, 3, size=(64,))

base = keras.layers.Dense(8, activation="relu", name="base")
model = keras.Sequential([keras.Input((4,)), base, keras.layers.Dense(3, name="head")])
model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))

base.trainable = False
model.fit(x, y, epochs=1, batch_size=16, verbose=0)

base.trainable = True
history = model.fit(x, y, epochs=1, batch_size=16, verbose=0)
