import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32")


class GAN(keras.Model):
    def __init__(self):
        super().__init__()
        self.generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4, name="g_out")])
        self.discriminator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, name="d_out")])
        self.bce = keras.losses.BinaryCrossentropy(from_logits=True)

    def compile(self, d_optimizer, g_optimizer):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer

    def train_step(self, real):
        batch = tf.shape(real)[0]
        noise = tf.random.normal((batch, 2))
        with tf.GradientTape() as d_tape:
            fake = self.generator(noise)
            d_loss = self.bce(tf.ones((batch, 1)), self.discriminator(fake)) + self.bce(tf.zeros((batch, 1)), self.discriminator(real))
        grads = d_tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
        with tf.GradientTape() as g_tape:
            g_loss = self.bce(tf.zeros((batch, 1)), self.discriminator(self.generator(noise)))
        grads = g_tape.gradient(g_loss, self.generator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        return {"d_loss": d_loss, "g_loss": g_loss}


gan = GAN()
gan.compile(keras.optimizers.Adam(), keras.optimizers.Adam())
gan.fit(x, epochs=2, batch_size=16, verbose=0)
