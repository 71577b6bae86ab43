import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(7)
tf.config.experimental.enable_op_determinism()
x = np.random.rand(40, 3).astype("float32")
y = x @ np.array([[0.5], [-1.0], [2.0]], dtype="float32")
step_traces = []
call_traces = []


class Subclassed(keras.Model):
    """No weights until ``fit``: Keras builds them when it first traces this ``train_step``."""

    def __init__(self):
        super().__init__()
        self.hidden = keras.layers.Dense(5, activation="relu")
        self.head = keras.layers.Dense(1)

    def call(self, inputs, training=False):
        call_traces.append(training)
        return self.head(self.hidden(inputs))

    def train_step(self, data):
        step_traces.append(len(step_traces))
        print("tracing train_step", len(step_traces))
        features, targets = data
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(self(features, training=True) - targets))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


model = Subclassed()
model.compile(optimizer=keras.optimizers.Adam(0.01))
history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
print("train_step traced", len(step_traces), "times; call traced", len(call_traces), "times")
