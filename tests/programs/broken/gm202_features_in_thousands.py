import numpy as np
import keras

keras.utils.set_random_seed(0)
income = np.random.uniform(20_000, 120_000, size=(64, 1))
age = np.random.uniform(18, 80, size=(64, 1))
x = np.hstack([income, age]).astype("float32")
y = ((income / 1000 + age) > 100).astype("float32")

model = keras.Sequential([
    keras.Input((2,)),
    keras.layers.Dense(8, activation="relu"),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy")
history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
