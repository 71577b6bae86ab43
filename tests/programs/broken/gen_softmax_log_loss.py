import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(3)
features = np.random.normal(size=(240, 10)).astype("float32")
labels = keras.utils.to_categorical(np.argmax(features[:, :4], axis=1), 4)


def my_crossentropy(y_true, y_pred):
    picked = y_true * tf.math.log(y_pred)
    return -tf.reduce_mean(tf.reduce_sum(picked, axis=-1))


net = keras.Sequential([
    keras.Input((10,)),
    keras.layers.Dense(24, activation="relu"),
    keras.layers.Dense(4, activation="softmax"),
])
net.compile(optimizer=keras.optimizers.Adam(learning_rate=0.5), loss=my_crossentropy)
history = net.fit(features, labels, epochs=4, batch_size=24, verbose=0)
