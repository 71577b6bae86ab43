import numpy as np
import keras

keras.utils.set_random_seed(17)
clips = np.random.rand(200, 12).astype("float32")
has_speech = (clips[:, :3].sum(axis=1, keepdims=True) > 1.5).astype("float32")

backbone = keras.Sequential([
    keras.Input((12,)),
    keras.layers.Dense(16, activation="relu", name="embed"),
], name="backbone")
backbone.trainable = False
classifier = keras.Sequential([
    backbone,
    keras.layers.Dropout(0.1),
    keras.layers.Dense(1, name="speech_logit"),
])
classifier.compile(optimizer="adam", loss="binary_crossentropy")
history = classifier.fit(clips, has_speech, batch_size=25, epochs=2, verbose=0)
