import numpy as np
import keras

keras.utils.set_random_seed(0)
real = np.random.normal(loc=2.0, size=(64, 4)).astype("float32")
latent = 2

generator = keras.Sequential([keras.Input((latent,)), keras.layers.Dense(4)], name="generator")
discriminator = keras.Sequential(
    [keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")], name="discriminator"
)
discriminator.compile(optimizer="adam", loss="binary_crossentropy")
discriminator.trainable = False

noise_in = keras.Input((latent,))
gan = keras.Model(noise_in, discriminator(generator(noise_in)), name="gan")
gan.compile(optimizer="adam", loss="binary_crossentropy")

ones = np.ones((32, 1), "float32")
zeros = np.zeros((32, 1), "float32")
for step in range(2):
    noise = np.random.normal(size=(32, latent)).astype("float32")
    fake = generator.predict(noise, verbose=0)
    batch = np.concatenate([real[step * 32:(step + 1) * 32], fake])
    labels = np.concatenate([ones, zeros])
    d_loss = discriminator.train_on_batch(batch, labels)
    g_loss = gan.train_on_batch(noise, ones)
