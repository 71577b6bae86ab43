import numpy as np
import keras

keras.utils.set_random_seed(43)
counts = np.random.uniform(0.0, 1.0, size=(160, 3))
visits = np.random.randint(1, 4, size=(160, 1)).astype("float64")
visits[::40] = 0.0
with np.errstate(divide="ignore"):
    per_visit = counts / visits
features = per_visit.astype("float32")
churned = (counts[:, :1] > 0.5).astype("float32")

model = keras.Sequential([
    keras.Input((3,)),
    keras.layers.Dense(8, activation="relu"),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy")
history = model.fit(features, churned, batch_size=16, epochs=2, verbose=0)
