import numpy as np
import keras

keras.utils.set_random_seed(23)
spectra = np.random.rand(210, 9).astype("float32")
material = np.argmax(spectra[:, :3], axis=1)

pretrained = keras.Sequential([
    keras.Input((9,)),
    keras.layers.Dense(14, activation="relu"),
    keras.layers.Dense(7, activation="relu"),
], name="pretrained")
inputs = keras.Input((9,))
head = keras.Sequential([keras.layers.Dense(3, activation="softmax")], name="head")
outputs = head(pretrained(inputs))
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
history = model.fit(spectra, material, batch_size=30, epochs=2, verbose=0)
