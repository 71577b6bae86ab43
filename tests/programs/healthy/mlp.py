import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(0)
tf.config.experimental.enable_op_determinism()
x = np.random.rand(64, 8).astype("float32")
y = (x.sum(axis=1) > 4).astype("int32")

model = keras.Sequential([
    keras.Input((8,)),
    keras.layers.Dense(16, activation="relu"),
    keras.layers.Dropout(0.1),
    keras.layers.Dense(2, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
