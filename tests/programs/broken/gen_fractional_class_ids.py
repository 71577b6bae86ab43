import numpy as np
import keras

keras.utils.set_random_seed(12)
spectra = np.random.normal(size=(240, 9)).astype("float32")
band = np.digitize(spectra[:, 0], [-0.7, 0.0, 0.7])
band = band / 3.0

classifier = keras.Sequential([
    keras.Input((9,)),
    keras.layers.Dense(16, activation="relu"),
    keras.layers.Dense(4, activation="softmax"),
])
classifier.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy")
history = classifier.fit(spectra, band, epochs=3, batch_size=24, verbose=0)
