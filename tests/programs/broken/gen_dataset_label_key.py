import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(9)
vectors = np.random.normal(size=(192, 7)).astype("float32")
flags = (vectors[:, 2] > 0).astype("float32").reshape(-1, 1)
amounts = (vectors[:, :1] * 0.5 + vectors[:, 1:2]).astype("float32")

stream = tf.data.Dataset.from_tensor_slices((vectors, flags, amounts)).shuffle(192, seed=1)
stream = stream.map(lambda v, f, a: (v, {"is_positive": f, "amount": a}))
stream = stream.batch(32)

inputs = keras.Input((7,))
hidden = keras.layers.Dense(12, activation="relu")(inputs)
verdict = keras.layers.Dense(1, activation="sigmoid", name="positive")(hidden)
amount = keras.layers.Dense(1, name="amount")(hidden)
detector = keras.Model(inputs, {"positive": verdict, "amount": amount})
detector.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                 loss={"positive": "binary_crossentropy", "amount": "mse"})
history = detector.fit(stream, epochs=3, verbose=0)
