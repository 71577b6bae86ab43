"""Every private Keras/TensorFlow attribute gradmagic touches, in one place.

``tests/test_keras_adapter.py`` exercises each function here, so a Keras upgrade that
moves one of them fails that test instead of silently weakening a diagnosis.
"""

from __future__ import annotations

from typing import Any, Iterator

import keras
from keras.src.backend.tensorflow.trainer import TensorFlowTrainer


def flatten_layers(model: keras.Layer) -> Iterator[keras.Layer]:
    """Every layer below ``model`` (nested models included), parents before children."""
    return model._flatten_layers(include_self=False, recursive=True)


def inbound_layer_names(layer: keras.Layer) -> list[str]:
    """Names of the layers feeding ``layer`` in a functional graph (empty if unknown)."""
    names: list[str] = []
    for node in getattr(layer, "_inbound_nodes", []) or []:
        for parent in node.parent_nodes:
            name = parent.operation.name
            if name not in names:
                names.append(name)
    return names


def has_custom_train_step(model: keras.Model) -> bool:
    return type(model).train_step is not TensorFlowTrainer.train_step


def compiled_loss_config(model: keras.Model) -> Any:
    """The ``loss=`` given to ``compile`` (string, function, Loss object, list or dict), or None."""
    return getattr(model, "loss", None)


def is_compiled(model: keras.Model) -> bool:
    return bool(getattr(model, "compiled", False))


def variable_handle(variable: Any) -> Any:
    """The TF resource handle behind a Keras 3 variable (or a raw ``tf.Variable``)."""
    value = getattr(variable, "value", variable)
    return getattr(value, "handle", None)


def symbolic_build(model: keras.Model, data_batch: tuple) -> None:
    """Build model, loss and metric state the way ``fit`` does, without running a step."""
    model._symbolic_build(data_batch=data_batch)


def dataset_reshuffles(dataset: Any) -> bool:
    """True when iterating ``dataset`` again would change the order ``fit`` sees.

    Reads the dataset's graph for a shuffle op (``_variant_tensor`` is private to tf.data).
    """
    import tensorflow as tf

    try:
        graph_def = tf.raw_ops.DatasetToGraphV2(input_dataset=dataset._variant_tensor)
    except Exception:  # noqa: BLE001 - unknown datasets are treated as reshuffling
        return True
    text = graph_def.numpy()
    return b"ShuffleDataset" in text or b"ShuffleAndRepeatDataset" in text
