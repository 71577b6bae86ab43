import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.normal(size=(64, 8)).astype("float32")
y = (x[:, 0] + x[:, 1] > 0).astype("int32")

model = keras.Sequential([
    keras.Input((8,)),
    keras.layers.Dense(16, activation="tanh"),
    keras.layers.Dense(2, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=2.0), loss="sparse_categorical_crossentropy")
model.fit(x, y, epochs=3, batch_size=16, verbose=0)
