import numpy as np
import keras
from keras.layers import Activation, Dense

keras.utils.set_random_seed(37)
weather = np.random.rand(200, 5).astype("float32")
rain_mm = (weather @ np.arange(1, 6, dtype="float32")[:, None] / 5.0).astype("float32")

model = keras.Sequential()
model.add(keras.Input((5,)))
model.add(Dense(12, activation="relu"))
model.add(Dense(1))
model.add(Activation("softmax"))
model.compile(optimizer="adam", loss="mean_absolute_error")
history = model.fit(weather, rain_mm, batch_size=20, epochs=2, verbose=0)
