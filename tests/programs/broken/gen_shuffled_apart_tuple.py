import numpy as np
import keras

keras.utils.set_random_seed(33)
generator = np.random.default_rng(33)
samples = generator.normal(size=(600, 5)).astype("float32")
kinds = np.argmax(samples[:, :3], axis=1)
samples, kinds = generator.permutation(samples), generator.permutation(kinds)

net = keras.Sequential([
    keras.Input((5,)),
    keras.layers.Dense(8, activation="relu"),
    keras.layers.Dense(3, activation="softmax"),
])
net.compile(optimizer=keras.optimizers.Adam(learning_rate=0.003), loss="sparse_categorical_crossentropy")
history = net.fit(samples, kinds, epochs=4, batch_size=30, verbose=0)
