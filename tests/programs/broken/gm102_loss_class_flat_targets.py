import numpy as np
import keras


class SquaredError(keras.losses.Loss):
    def call(self, y_true, y_pred):
        return keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)


keras.utils.set_random_seed(0)
x = np.random.normal(size=(64, 3)).astype("float32")
y = x @ np.array([1.0, -2.0, 0.5], dtype="float32")

model = keras.Sequential([
    keras.Input((3,)),
    keras.layers.Dense(8, activation="tanh"),
    keras.layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.Adam(0.01), loss=SquaredError())
history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
