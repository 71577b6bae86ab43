import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(61)
features = np.random.rand(192, 4).astype("float32")
labels = (features.sum(axis=1) > 2.0).astype("float32")
train_ds = tf.data.Dataset.from_tensor_slices(features)
train_ds = train_ds.shuffle(192, seed=0).batch(32)

model = keras.Sequential([
    keras.Input((4,)),
    keras.layers.Dense(8, activation="relu"),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy")
history = model.fit(train_ds, epochs=2, verbose=0)
