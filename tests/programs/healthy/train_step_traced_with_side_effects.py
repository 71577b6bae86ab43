import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(4)
tf.config.experimental.enable_op_determinism()
x = np.random.rand(48, 3).astype("float32")
y = x.sum(axis=1, keepdims=True)
traces = []


class Logged(keras.Model):
    """A functional model with its own step: Python side effects run once per trace."""

    def train_step(self, data):
        traces.append(len(traces))
        print("tracing train_step")
        features, targets = data
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(self(features, training=True) - targets))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


inputs = keras.Input((3,))
hidden = keras.layers.Dense(6, activation="tanh")(inputs)
model = Logged(inputs, keras.layers.Dense(1)(hidden))
model.compile(optimizer="adam")
history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
print("traces:", len(traces))
