import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(0)
tf.config.experimental.enable_op_determinism()
x = np.random.normal(size=(64, 5)).astype("float32")
y = x @ np.array([0.5, -1.0, 2.0, 0.0, 1.0], dtype="float32") + 0.1
y = (y - y.mean()) / y.std()

model = keras.Sequential([
    keras.Input((5,)),
    keras.layers.Dense(16, activation="tanh"),
    keras.layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])
history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
