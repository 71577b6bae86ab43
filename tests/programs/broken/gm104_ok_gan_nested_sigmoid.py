import numpy as np
import keras

keras.utils.set_random_seed(13)
latent = 4
real = np.random.normal(1.0, 0.3, size=(128, 6)).astype("float32")

maker = keras.Sequential([
    keras.Input((latent,)),
    keras.layers.Dense(8, activation="relu"),
    keras.layers.Dense(6),
], name="maker")
judge = keras.Sequential([
    keras.Input((6,)),
    keras.layers.Dense(8, activation="relu"),
    keras.layers.Dense(1, activation="sigmoid"),
], name="judge")
judge.compile(optimizer="adam", loss="binary_crossentropy")

z = keras.Input((latent,))
judge.trainable = False
stacked = keras.Model(z, judge(maker(z)))
stacked.compile(optimizer="adam", loss="binary_crossentropy")

noise = np.random.normal(size=(128, latent)).astype("float32")
fake = maker.predict(noise, verbose=0)
judge.trainable = True
judge.fit(np.concatenate([real, fake]), np.concatenate([np.ones((128, 1)), np.zeros((128, 1))]),
          epochs=1, verbose=0)
history = stacked.fit(noise, np.ones((128, 1), "float32"), epochs=1, verbose=0)
