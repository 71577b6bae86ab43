import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(11)
docs = np.random.uniform(-1.0, 1.0, size=(300, 6)).astype("float32")
relevance = (docs @ np.linspace(0.5, -0.5, 6).astype("float32")).reshape(-1, 1)


def rank_gap(y_true, y_pred):
    true_rank = tf.cast(tf.argsort(tf.argsort(y_true[:, 0])), tf.float32)
    order = tf.argsort(y_pred[:, 0], direction="DESCENDING")
    pred_rank = tf.cast(tf.argsort(order), tf.float32)
    return tf.reduce_mean(tf.abs(true_rank - pred_rank))


query = keras.Input(shape=(6,), name="query")
hidden = keras.layers.Dense(12, activation="tanh", name="scorer_hidden")(query)
score = keras.layers.Dense(1, name="score")(hidden)
ranker = keras.Model(query, score)
ranker.compile(optimizer=keras.optimizers.SGD(0.05), loss=rank_gap)
history = ranker.fit(docs, relevance, batch_size=50, epochs=2, verbose=0)
