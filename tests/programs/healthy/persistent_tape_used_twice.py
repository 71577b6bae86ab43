import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32")
y = np.random.rand(64, 1).astype("float32")


class Model2(keras.Model):
    def __init__(self):
        super().__init__()
        self.a = keras.layers.Dense(8, activation="relu")
        self.b = keras.layers.Dense(1)

    def call(self, inputs):
        return self.b(self.a(inputs))

    def train_step(self, data):
        features, targets = data
        with tf.GradientTape(persistent=True) as tape:
            pred = self(features, training=True)
            loss = keras.ops.mean(keras.ops.square(targets - pred))
            reg = keras.ops.mean(keras.ops.square(pred))
        grads = tape.gradient(loss, self.trainable_variables)
        reg_grads = tape.gradient(reg, self.trainable_variables)
        grads = [g + 0.01 * r for g, r in zip(grads, reg_grads)]
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


model = Model2()
model.compile(optimizer="adam")
model.fit(x, y, epochs=1, batch_size=16, verbose=0)
