import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 6).astype("float32")
y_class = np.random.randint(0, 3, size=(64,))
y_flag = np.random.randint(0, 2, size=(64, 1)).astype("float32")

inputs = keras.Input((6,), name="features")
hidden = keras.layers.Dense(16, activation="relu", name="hidden")(inputs)
class_head = keras.layers.Dense(3, activation="softmax", name="label_head")(hidden)
flag_head = keras.layers.Dense(1, activation="sigmoid", name="flag_head")(hidden)
model = keras.Model(inputs, {"label": class_head, "flag": flag_head})
model.compile(optimizer="adam", loss={"label": "sparse_categorical_crossentropy"})
for start in range(0, 64, 32):
    batch = slice(start, start + 32)
    logs = model.train_on_batch(x[batch], {"label": y_class[batch], "flag": y_flag[batch]})
