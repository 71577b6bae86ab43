"""Five healthy training tasks on synthetic seeded data, for the benchmarks.

Each :class:`Task` builds a fresh compiled model every time it is asked (the caller sets the
seed), so fits never share weights, optimizer state or a traced train function:

- ``mlp``: three dense layers on 32 features, 10 classes;
- ``cnn``: two small convolutions on 28x28x1 images, 10 classes;
- ``lstm``: an embedding and one LSTM over 40 tokens, binary labels;
- ``resnet``: a 1.03M-parameter residual CNN (functional API, three residual blocks with
  skip connections and batch norm) on 32x32x3 images, 10 classes;
- ``gan``: a custom ``train_step`` training a generator and a discriminator (two sub-models)
  with two optimizers on 28x28x1 images.

The data sets hold a few hundred batches, so a fit of a few seconds is at most a few epochs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf


@dataclass
class Task:
    """A model to train and the data to train it on.

    Args:
        name: the short name used on the command line and in tables.
        build: returns a new compiled model; weights follow the current Keras seed.
        x: the inputs.
        y: the targets, or None when ``train_step`` reads only ``x`` (the GAN).
        batch_size: the batch size of every fit.
        prebuild: builds every optimizer the model's training uses, with the same zero
            state Keras would create on the first step (what gradmagic does before ``fit``).
    """

    name: str
    build: Callable[[], keras.Model]
    x: np.ndarray
    y: np.ndarray | None
    batch_size: int
    prebuild: Callable[[keras.Model], None]

    @property
    def batches_per_epoch(self) -> int:
        return len(self.x) // self.batch_size

    def fit_kwargs(self, steps: int) -> tuple[dict, int]:
        """``fit`` arguments for about ``steps`` steps, and the exact number of steps they run.

        Up to one epoch: one epoch over the first ``steps`` batches. Beyond: enough whole epochs.
        """
        per_epoch = self.batches_per_epoch
        if steps <= per_epoch:
            samples, epochs = steps * self.batch_size, 1
        else:
            samples, epochs = per_epoch * self.batch_size, math.ceil(steps / per_epoch)
        kwargs = {"x": self.x[:samples], "batch_size": self.batch_size, "epochs": epochs,
                  "verbose": 0, "shuffle": False}
        if self.y is not None:
            kwargs["y"] = self.y[:samples]
        return kwargs, epochs * (samples // self.batch_size)


def build_model_optimizer(model: keras.Model) -> None:
    model.optimizer.build(model.trainable_variables)


def _classes(x: np.ndarray, classes: int) -> np.ndarray:
    """Labels that depend on the inputs, so the loss has something to learn."""
    flat = x.reshape(len(x), -1)
    return flat[:, :classes].argmax(axis=1).astype("int32")


def mlp_task() -> Task:
    x = np.random.default_rng(0).random((16_384, 32), dtype=np.float32)

    def build() -> keras.Model:
        model = keras.Sequential([
            keras.Input((32,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ], name="mlp")
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return model

    return Task("mlp", build, x, _classes(x, 10), 32, build_model_optimizer)


def cnn_task() -> Task:
    x = np.random.default_rng(0).random((8_192, 28, 28, 1), dtype=np.float32)

    def build() -> keras.Model:
        model = keras.Sequential([
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ], name="cnn")
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return model

    return Task("cnn", build, x, _classes(x, 10), 32, build_model_optimizer)


def lstm_task() -> Task:
    rng = np.random.default_rng(0)
    x = rng.integers(1, 2_000, size=(8_192, 40)).astype("int32")
    y = (x[:, :20].mean(axis=1) > 1_000).astype("float32")

    def build() -> keras.Model:
        model = keras.Sequential([
            keras.Input((40,), dtype="int32"),
            keras.layers.Embedding(2_000, 32),
            keras.layers.LSTM(64),
            keras.layers.Dense(1, activation="sigmoid"),
        ], name="lstm")
        model.compile(optimizer="adam", loss="binary_crossentropy")
        return model

    return Task("lstm", build, x, y, 32, build_model_optimizer)


def _residual_block(x, filters: int, stride: int):
    shortcut = x
    x = keras.layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Activation("relu")(x)
    x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    x = keras.layers.BatchNormalization()(x)
    if stride != 1 or shortcut.shape[-1] != filters:
        shortcut = keras.layers.Conv2D(filters, 1, strides=stride, use_bias=False)(shortcut)
        shortcut = keras.layers.BatchNormalization()(shortcut)
    x = keras.layers.Add()([x, shortcut])
    return keras.layers.Activation("relu")(x)


def resnet_task() -> Task:
    x = np.random.default_rng(0).random((4_096, 32, 32, 3), dtype=np.float32)

    def build() -> keras.Model:
        inputs = keras.Input((32, 32, 3))
        h = keras.layers.Conv2D(32, 3, padding="same", use_bias=False)(inputs)
        h = keras.layers.BatchNormalization()(h)
        h = keras.layers.Activation("relu")(h)
        for filters, stride in ((64, 2), (128, 2), (224, 2)):
            h = _residual_block(h, filters, stride)
        h = keras.layers.GlobalAveragePooling2D()(h)
        outputs = keras.layers.Dense(10, activation="softmax")(h)
        model = keras.Model(inputs, outputs, name="resnet")
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return model

    return Task("resnet", build, x, _classes(x, 10), 32, build_model_optimizer)


LATENT = 32


class GAN(keras.Model):
    """A generator and a discriminator trained in one custom ``train_step``, each by its own optimizer."""

    def __init__(self, generator: keras.Model, discriminator: keras.Model, **kwargs) -> None:
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.noise = keras.random.SeedGenerator(0)

    def compile(self, g_optimizer, d_optimizer, **kwargs) -> None:
        super().compile(**kwargs)
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer
        self.bce = keras.losses.BinaryCrossentropy(from_logits=True)

    def call(self, z, training=False):
        return self.generator(z, training=training)

    def train_step(self, data):
        real, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        batch = tf.shape(real)[0]
        ones, zeros = tf.ones((batch, 1)), tf.zeros((batch, 1))

        fake = self.generator(keras.random.normal((batch, LATENT), seed=self.noise), training=True)
        with tf.GradientTape() as tape:
            d_loss = (self.bce(ones, self.discriminator(real, training=True))
                      + self.bce(zeros, self.discriminator(fake, training=True)))
        weights = self.discriminator.trainable_variables
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, weights), weights))

        with tf.GradientTape() as tape:
            fake = self.generator(keras.random.normal((batch, LATENT), seed=self.noise), training=True)
            g_loss = self.bce(ones, self.discriminator(fake, training=True))
        weights = self.generator.trainable_variables
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, weights), weights))
        return {"d_loss": d_loss, "g_loss": g_loss}


def build_gan_optimizers(model: GAN) -> None:
    model.d_optimizer.build(model.discriminator.trainable_variables)
    model.g_optimizer.build(model.generator.trainable_variables)


def gan_task() -> Task:
    x = np.random.default_rng(0).random((8_192, 28, 28, 1), dtype=np.float32)

    def build() -> keras.Model:
        generator = keras.Sequential([
            keras.Input((LATENT,)),
            keras.layers.Dense(7 * 7 * 32, activation="relu"),
            keras.layers.Reshape((7, 7, 32)),
            keras.layers.Conv2DTranspose(16, 4, strides=2, padding="same", activation="relu"),
            keras.layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="sigmoid"),
        ], name="generator")
        discriminator = keras.Sequential([
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(16, 3, strides=2, padding="same"),
            keras.layers.LeakyReLU(0.2),
            keras.layers.Conv2D(32, 3, strides=2, padding="same"),
            keras.layers.LeakyReLU(0.2),
            keras.layers.Flatten(),
            keras.layers.Dense(1),
        ], name="discriminator")
        model = GAN(generator, discriminator, name="gan")
        model.compile(g_optimizer=keras.optimizers.Adam(2e-4), d_optimizer=keras.optimizers.Adam(2e-4))
        return model

    return Task("gan", build, x, None, 32, build_gan_optimizers)


TASKS: dict[str, Callable[[], Task]] = {
    "mlp": mlp_task,
    "cnn": cnn_task,
    "lstm": lstm_task,
    "resnet": resnet_task,
    "gan": gan_task,
}


def parameter_count(model: keras.Model) -> int:
    return sum(int(np.prod(v.shape)) for v in model.trainable_variables)
