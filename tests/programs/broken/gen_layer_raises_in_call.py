import numpy as np
import keras


class PairwiseProduct(keras.layers.Layer):
    def call(self, inputs):
        if inputs.shape[-1] % 2:
            raise ValueError(f"PairwiseProduct needs an even number of features, got {inputs.shape[-1]}")
        left, right = keras.ops.split(inputs, 2, axis=-1)
        return left * right


keras.utils.set_random_seed(1)
table = np.random.normal(size=(96, 5)).astype("float32")
outcome = (table[:, 0] > 0).astype("float32")

model = keras.Sequential([keras.layers.Dense(7), PairwiseProduct(), keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss="binary_crossentropy")
history = model.fit(table, outcome, epochs=1, batch_size=16, verbose=0)
