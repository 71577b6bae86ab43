import numpy as np
import keras

keras.utils.set_random_seed(1)
n = 128
product = np.random.randint(0, 200, size=(n, 1))
product_scaled = product / 200.0
price = np.random.rand(n, 3).astype("float32")
target = (price.sum(axis=1, keepdims=True) + (product % 7) / 7.0).astype("float32")

product_in = keras.Input((1,), name="product")
price_in = keras.Input((3,), name="price")
vector = keras.layers.Flatten()(keras.layers.Embedding(200, 4, name="product_table")(product_in))
hidden = keras.layers.Concatenate()([vector, price_in])
output = keras.layers.Dense(1)(keras.layers.Dense(8, activation="relu")(hidden))
model = keras.Model([product_in, price_in], output)
model.compile(optimizer="adam", loss="mse")
history = model.fit([product_scaled.astype("float32"), price], target, epochs=3, batch_size=32, verbose=0)
