import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(9)
vectors = np.random.normal(size=(192, 7)).astype("float32")
flags = (vectors[:, 2] > 0).astype("float32").reshape(-1, 1)

stream = tf.data.Dataset.from_tensor_slices((vectors, flags)).shuffle(192, seed=1)
stream = stream.map(lambda v, f: (v, {"is_positive": f}))
stream = stream.batch(32)

inputs = keras.Input((7,))
hidden = keras.layers.Dense(12, activation="relu")(inputs)
verdict = keras.layers.Dense(1, activation="sigmoid", name="positive")(hidden)
detector = keras.Model(inputs, verdict)
detector.compile(optimizer="adam", loss={"positive": "binary_crossentropy"})
history = detector.fit(stream, epochs=2, verbose=0)
