import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 5).astype("float32")
y = keras.utils.to_categorical(np.argmax(x[:, :4], axis=1), 4)

inputs = keras.Input((5,))
hidden = keras.layers.Dense(16, activation="relu")(inputs)
outputs = keras.layers.Dense(4, activation="sigmoid")(hidden)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="categorical_crossentropy")
history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
