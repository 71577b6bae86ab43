import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32")
y = np.random.rand(64, 1).astype("float32")


class M(keras.Model):
    def __init__(self):
        super().__init__()
        self.b = keras.layers.Dense(1)

    def call(self, inputs):
        return self.b(inputs)

    def train_step(self, data):
        features, targets = data
        with tf.GradientTape() as input_tape:
            input_tape.watch(features)
            pred = self(features, training=True)
        with tf.GradientTape() as tape:
            loss = keras.ops.mean(keras.ops.square(targets - pred))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


model = M()
model.compile(optimizer="adam")
model.fit(x, y, epochs=1, batch_size=16, verbose=0)
