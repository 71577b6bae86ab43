import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32")
y = np.random.randint(0, 2, size=(64, 1)).astype("float32")


class Classifier(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = keras.layers.Dense(8, activation="relu")
        self.out = keras.layers.Dense(1, activation="sigmoid")
        self.loss_fn = keras.losses.BinaryCrossentropy()

    def call(self, inputs):
        return self.out(self.hidden(inputs))

    def train_step(self, data):
        features, labels = data
        with tf.GradientTape() as tape:
            probabilities = self(features, training=True)
            loss = self.loss_fn(labels, tf.round(probabilities))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


model = Classifier()
model.compile(optimizer="adam")
history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
