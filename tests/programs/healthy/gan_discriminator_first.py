import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(0)
tf.config.experimental.enable_op_determinism()
real = np.random.normal(loc=2.0, size=(64, 4)).astype("float32")
LATENT = 2

# as in Keras's GAN examples: the discriminator is built first and handed to the model first
discriminator = keras.Sequential(
    [keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1, activation="sigmoid")],
    name="discriminator",
)
generator = keras.Sequential([keras.Input((LATENT,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(4)],
                             name="generator")


class GAN(keras.Model):
    """No ``call``: the train step alone says that the generator feeds the discriminator."""

    def __init__(self, discriminator, generator):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.bce = keras.losses.BinaryCrossentropy()

    def compile(self, d_optimizer, g_optimizer):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer

    def train_step(self, real_batch):
        batch = tf.shape(real_batch)[0]
        noise = tf.random.normal((batch, LATENT), seed=1)
        with tf.GradientTape() as tape:
            fake = self.generator(noise)
            scores = self.discriminator(tf.concat([real_batch, fake], axis=0))
            labels = tf.concat([tf.ones((batch, 1)), tf.zeros((batch, 1))], axis=0)
            d_loss = self.bce(labels, scores)
        d_vars = self.discriminator.trainable_variables
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, d_vars), d_vars))
        with tf.GradientTape() as tape:
            g_loss = self.bce(tf.ones((batch, 1)), self.discriminator(self.generator(noise)))
        g_vars = self.generator.trainable_variables
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, g_vars), g_vars))
        return {"d_loss": d_loss, "g_loss": g_loss}


gan = GAN(discriminator, generator)
gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
history = gan.fit(real, epochs=2, batch_size=16, verbose=0)
