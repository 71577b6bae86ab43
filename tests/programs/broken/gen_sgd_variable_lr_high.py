import numpy as np
import keras

keras.utils.set_random_seed(8)
signals = np.random.normal(size=(192, 5)).astype("float32")
response = signals @ np.array([[1.0], [-2.0], [0.5], [0.0], [1.5]], dtype="float32")

step_rule = keras.optimizers.SGD(learning_rate=0.9)
regressor = keras.Sequential([
    keras.Input((5,)),
    keras.layers.Dense(16, activation="tanh"),
    keras.layers.Dense(1),
])
regressor.compile(optimizer=step_rule, loss="mse")
history = regressor.fit(signals, response, epochs=4, batch_size=16, verbose=0)
