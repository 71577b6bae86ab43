import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(1)
real_samples = np.random.normal(size=(64, 3)).astype("float32")


class TinyGAN(keras.Model):
    def __init__(self):
        super().__init__()
        self.generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, name="gen_out")])
        self.discriminator = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, name="disc_out")])
        self.bce = keras.losses.BinaryCrossentropy(from_logits=True)

    def compile(self, d_optimizer, g_optimizer):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer

    def train_step(self, real):
        batch = tf.shape(real)[0]
        noise = tf.random.normal((batch, 2))
        with tf.GradientTape() as disc_tape:
            fake = self.generator(noise)
            real_logits = self.discriminator(real)
            fake_logits = self.discriminator(fake)
            d_loss = self.bce(tf.ones_like(real_logits), real_logits) + self.bce(tf.zeros_like(fake_logits), fake_logits)
        with tf.GradientTape() as gen_tape:
            fooled = self.discriminator(self.generator(noise))
            g_loss = self.bce(tf.ones_like(fooled), fooled)
        d_grads = disc_tape.gradient(d_loss, self.discriminator.trainable_weights)
        g_grads = disc_tape.gradient(g_loss, self.generator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(d_grads, self.discriminator.trainable_weights))
        self.g_optimizer.apply_gradients(zip(g_grads, self.generator.trainable_weights))
        return {"d_loss": d_loss, "g_loss": g_loss}


gan = TinyGAN()
gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
gan.fit(real_samples, epochs=2, batch_size=16, verbose=0)
