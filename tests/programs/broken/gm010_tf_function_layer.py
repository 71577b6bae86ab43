import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32")
y = np.random.randint(0, 3, size=(64,))


class Block(keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(units, activation="relu")

    @tf.function(reduce_retracing=True)
    def call(self, inputs):
        return self.dense(inputs)


class Classifier(keras.Model):
    def __init__(self):
        super().__init__()
        self.block = Block(8, name="block")
        self.head = keras.layers.Dense(3)
        self.loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def call(self, inputs):
        return self.head(self.block(inputs))

    def train_step(self, data):
        features, labels = data
        with tf.GradientTape() as tape:
            loss = self.loss_fn(labels, self(features, training=True))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


model = Classifier()
model.compile(optimizer="adam")
history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
