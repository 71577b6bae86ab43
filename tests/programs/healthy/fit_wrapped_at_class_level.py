import functools

import numpy as np
import keras

keras.utils.set_random_seed(2)
x = np.random.rand(64, 5).astype("float32")
y = x @ np.linspace(-1.0, 1.0, 5).reshape(5, 1).astype("float32")
calls = []
keras_fit = keras.Model.fit
own_fit = keras.Model.__dict__.get("fit")  # Keras defines fit on a base class; restore exactly that


def logged_fit(self, *args, **kwargs):  # the common logging pattern: no functools.wraps
    calls.append(sorted(kwargs))
    print("fit called with", sorted(kwargs))
    return keras_fit(self, *args, **kwargs)


@functools.wraps(keras_fit)
def wrapped_fit(self, *args, **kwargs):
    return logged_fit(self, *args, **kwargs)


keras.Model.fit = logged_fit
try:
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    keras.Model.fit = wrapped_fit
    second = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4), keras.layers.Dense(1)])
    second.compile(optimizer="sgd", loss="mse")
    second_history = second.fit(x, y, epochs=2, batch_size=16, verbose=0)
finally:
    if own_fit is None:
        del keras.Model.fit
    else:
        keras.Model.fit = own_fit
print("fit calls:", calls)
