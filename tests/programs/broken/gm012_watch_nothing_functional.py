import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(2)
features = np.random.rand(96, 5).astype("float32")
labels = (features.sum(axis=1) > 2.5).astype("int32")


class Trainer(keras.Model):
    def train_step(self, data):
        x, y = data
        tape = tf.GradientTape(
            watch_accessed_variables=False)
        with tape:
            logits = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=logits)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


inputs = keras.Input((5,))
hidden = keras.layers.Dense(8, activation="relu", name="hidden")(inputs)
outputs = keras.layers.Dense(2, name="logits")(hidden)
model = Trainer(inputs, outputs)
model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
model.fit(features, labels, epochs=2, batch_size=32, verbose=0)
