import numpy as np
import keras

keras.utils.set_random_seed(2)
words = np.random.randint(0, 120, size=(64, 5))
sentiment = (words.mean(axis=1) > 60).astype("float32")

model = keras.Sequential()
model.add(keras.Input((5,), dtype="int32"))
model.add(keras.layers.Embedding(input_dim=100, output_dim=6))
model.add(keras.layers.GlobalAveragePooling1D())
model.add(keras.layers.Dense(1, activation="sigmoid"))
model.compile(optimizer="adam", loss="binary_crossentropy")
history = model.fit(words, sentiment, epochs=3, batch_size=16, verbose=0)
