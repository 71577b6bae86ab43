import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 6).astype("float32")
y_class = keras.utils.to_categorical(np.argmax(x[:, :3], axis=1), 3)
y_value = x[:, 3:4] - x[:, 4:5]

inputs = keras.Input((6,), name="features")
hidden = keras.layers.Dense(16, activation="relu", name="hidden")(inputs)
class_head = keras.layers.Dense(3, activation="softmax", name="label")(hidden)
value_head = keras.layers.Dense(1, name="score")(hidden)
model = keras.Model(inputs, {"label": class_head, "score": value_head})
model.compile(
    optimizer="adam",
    loss={
        "label": "sparse_categorical_crossentropy",
        "score": "mse",
    },
)
history = model.fit(x, {"label": y_class, "score": y_value}, epochs=3, batch_size=16, verbose=0)
