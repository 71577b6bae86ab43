import numpy as np
import keras

keras.utils.set_random_seed(8)
x = np.random.rand(64, 4).astype("float32")
y = (x[:, :1] > 0.5).astype("float32")


class EpochLog(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        with open("epochs.txt", "a") as handle:
            handle.write(f"epoch {epoch}\n")


model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss="binary_crossentropy")
history = model.fit(x, y, epochs=3, batch_size=16, verbose=0,
                    callbacks=[keras.callbacks.CSVLogger("training.csv"), EpochLog()])
model.save_weights("final.weights.h5")
