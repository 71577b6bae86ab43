import numpy as np
import keras
from keras.layers import Activation, Dense

keras.utils.set_random_seed(31)
size = np.random.rand(220, 4).astype("float32")
score = (10.0 + 90.0 * size.mean(axis=1, keepdims=True)).astype("float32")

model = keras.Sequential()
model.add(keras.Input((4,)))
model.add(Dense(16, activation="relu"))
model.add(Dense(1))
model.add(Activation("sigmoid"))
model.compile(optimizer="adam", loss="mse")
history = model.fit(size, score, batch_size=22, epochs=2, verbose=0)
