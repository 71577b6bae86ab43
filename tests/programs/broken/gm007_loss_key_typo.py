import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 6).astype("float32")
y_class = np.random.randint(0, 3, size=(64,))
y_value = np.random.normal(size=(64, 1)).astype("float32")

inputs = keras.Input((6,), name="features")
hidden = keras.layers.Dense(16, activation="relu", name="hidden")(inputs)
class_head = keras.layers.Dense(3, activation="softmax", name="label_head")(hidden)
value_head = keras.layers.Dense(1, name="score_head")(hidden)
model = keras.Model(inputs, {"label": class_head, "score": value_head})
model.compile(
    optimizer="adam",
    loss={"label": "sparse_categorical_crossentropy", "scores": "mse"},
)
history = model.fit(x, {"label": y_class, "score": y_value}, epochs=2, batch_size=16, verbose=0)
