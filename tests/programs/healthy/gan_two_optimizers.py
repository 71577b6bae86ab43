import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(0)
tf.config.experimental.enable_op_determinism()
real = np.random.normal(loc=2.0, size=(64, 4)).astype("float32")
LATENT = 2


class GAN(keras.Model):
    """Generator and discriminator built inside the model; one optimizer made here, one passed to compile."""

    def __init__(self):
        super().__init__()
        self.generator = keras.Sequential([
            keras.Input((LATENT,)),
            keras.layers.Dense(8, activation="relu", name="g_hidden"),
            keras.layers.Dense(4, name="g_out"),
        ], name="generator")
        self.discriminator = keras.Sequential([
            keras.Input((4,)),
            keras.layers.Dense(8, activation="relu", name="d_hidden"),
            keras.layers.Dense(1, activation="sigmoid", name="d_out"),
        ], name="discriminator")
        self.g_optimizer = keras.optimizers.Adam(1e-3)
        self.bce = keras.losses.BinaryCrossentropy()

    def call(self, noise):
        return self.discriminator(self.generator(noise))

    def compile(self, d_optimizer):
        super().compile()
        self.d_optimizer = d_optimizer

    def train_step(self, real_batch):
        batch = tf.shape(real_batch)[0]
        noise = tf.random.normal((batch, LATENT), seed=1)
        with tf.GradientTape() as tape:
            fake = self.generator(noise)
            scores = self.discriminator(tf.concat([real_batch, fake], axis=0))
            labels = tf.concat([tf.ones((batch, 1)), tf.zeros((batch, 1))], axis=0)
            d_loss = self.bce(labels, scores)
        d_vars = self.discriminator.trainable_variables
        d_grads = tape.gradient(d_loss, d_vars)
        self.d_optimizer.apply_gradients(zip(d_grads, d_vars))
        with tf.GradientTape() as tape:
            g_loss = self.bce(tf.ones((batch, 1)), self.discriminator(self.generator(noise)))
        g_vars = self.generator.trainable_variables
        g_grads = tape.gradient(g_loss, g_vars)
        self.g_optimizer.apply_gradients(zip(g_grads, g_vars))
        # each layer's sum of squared gradients, to compare with what gradmagic records
        squares = {}
        for grad, variable in zip(d_grads + g_grads, d_vars + g_vars):
            name = "squares_" + variable.path.split("/")[1]
            squares[name] = squares.get(name, 0.0) + tf.reduce_sum(tf.square(grad))
        return {"d_loss": d_loss, "g_loss": g_loss, **squares}


class EveryStep(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.logs = []

    def on_train_batch_end(self, batch, logs=None):
        self.logs.append({name: float(value) for name, value in logs.items()})


steps = EveryStep()
model = GAN()
model.compile(d_optimizer=keras.optimizers.Adam(1e-3))
history = model.fit(real, epochs=2, batch_size=16, verbose=0, callbacks=[steps])
