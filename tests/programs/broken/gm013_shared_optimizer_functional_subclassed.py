import numpy as np
import keras

keras.utils.set_random_seed(5)
x = np.random.rand(80, 3).astype("float32")
labels = (x[:, 0] > 0.5).astype("int32")


class Head(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = keras.layers.Dense(6, activation="relu")
        self.out = keras.layers.Dense(2)

    def call(self, inputs):
        return self.out(self.hidden(inputs))


sgd = keras.optimizers.SGD(learning_rate=0.05, momentum=0.9)
inputs = keras.Input((3,))
outputs = keras.layers.Dense(2, name="probs", activation="softmax")(inputs)
baseline = keras.Model(inputs, outputs)
baseline.compile(sgd, loss="sparse_categorical_crossentropy")
baseline.fit(x, labels, epochs=1, batch_size=20, verbose=0)

head = Head()
head.compile(sgd, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
head.fit(x, labels, epochs=1, batch_size=20, verbose=0)
