import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(3)
images = np.random.rand(48, 6).astype("float32")


class Autoencoder(keras.Model):
    def __init__(self):
        super().__init__()
        self.encoder = keras.Sequential([keras.Input((6,)), keras.layers.Dense(2, activation="tanh", name="code")])
        self.decoder = keras.Sequential([keras.Input((2,)), keras.layers.Dense(6, name="recon")])

    def call(self, inputs):
        return self.decoder(self.encoder(inputs))

    def compile(self, enc_opt, dec_opt):
        super().compile()
        self.enc_opt = enc_opt
        self.dec_opt = dec_opt

    def train_step(self, batch):
        with tf.GradientTape(persistent=False) as tape:
            code = self.encoder(batch, training=True)
            recon = self.decoder(code, training=True)
            recon_loss = tf.reduce_mean(tf.square(batch - recon))
            code_loss = recon_loss + 0.01 * tf.reduce_mean(tf.square(code))
        dec_grads = tape.gradient(recon_loss, self.decoder.trainable_weights)
        enc_grads = tape.gradient(code_loss, self.encoder.trainable_weights)
        self.dec_opt.apply_gradients(zip(dec_grads, self.decoder.trainable_weights))
        self.enc_opt.apply_gradients(zip(enc_grads, self.encoder.trainable_weights))
        return {"loss": recon_loss}


model = Autoencoder()
model.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
model.fit(images, epochs=2, batch_size=16, verbose=0)
