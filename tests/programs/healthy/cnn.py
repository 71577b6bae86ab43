import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(0)
tf.config.experimental.enable_op_determinism()
x = np.random.rand(64, 8, 8, 1).astype("float32")
y = keras.utils.to_categorical(np.random.randint(0, 3, size=64), 3)

model = keras.Sequential([
    keras.Input((8, 8, 1)),
    keras.layers.Conv2D(4, 3, activation="relu"),
    keras.layers.BatchNormalization(),
    keras.layers.MaxPooling2D(),
    keras.layers.Flatten(),
    keras.layers.Dense(3, activation="softmax"),
])
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
