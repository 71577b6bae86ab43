import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 5).astype("float32")
y = np.random.randint(0, 3, size=(64,))

model = keras.Sequential([
    keras.Input((5,)),
    keras.layers.Dense(16, activation="relu"),
    keras.layers.Dense(3, activation="softmax"),
])
model.compile(
    optimizer="adam",
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
)
history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
