import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(71)
votes = np.random.rand(192, 7).astype("float32")
passed = (votes.mean(axis=1, keepdims=True) > 0.5).astype("float32")


class VoteCounter(keras.Model):
    def __init__(self):
        super().__init__()
        self.mix = keras.layers.Dense(9, activation="relu")
        self.decide = keras.layers.Dense(1)
        self.bce = keras.losses.BinaryCrossentropy()

    def call(self, ballots):
        return self.decide(self.mix(ballots))

    def train_step(self, data):
        ballots, outcome = data
        with tf.GradientTape() as tape:
            margin = self(ballots, training=True)
            decision = tf.cast(margin > 0.0, tf.float32)
            loss = self.bce(outcome, decision)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


counter = VoteCounter()
counter.compile(optimizer="adam")
history = counter.fit(votes, passed, batch_size=32, epochs=2, verbose=0)
