"""Where did the first NaN/Inf come from? Replays the sampled batch on given weights (the
final ones, when they stayed finite), op by op, with ``tf.debugging.enable_check_numerics``.

The replay uses ``stateless_call``: the model's own variables are never written. It finds
the first op (and its layer and the frames where it was written) whose output is NaN/Inf
in the forward pass or in the loss.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any, Iterator

import keras
import numpy as np
import tensorflow as tf

from gradmagic.core import keras_adapter
from gradmagic.evidence.batches import FitBatch, as_tensors

_OP = re.compile(r'op "?(\w+)"?')


def locate_nonfinite(model: keras.Model, weights: list[np.ndarray], sample: FitBatch,
                     loss: Any) -> dict[str, Any] | None:
    """``{"stage", "layer", "op", "frames", "message"}`` for the first NaN/Inf, or None.

    ``loss`` is ``compile(loss=...)`` as given (one loss is replayed; a list or dict is not)."""
    if sample.x is None:
        return None
    if _has_nonfinite(sample.x):
        return {"stage": "data", "layer": None, "op": None, "frames": [],
                "message": "the sampled input batch already holds NaN/Inf"}
    trainable = [tf.convert_to_tensor(np.asarray(w), dtype=v.dtype) for w, v in zip(weights, model.trainable_variables)]
    x = as_tensors(sample.x)
    with _checking():
        try:
            y_pred = keras_adapter.stateless_forward(model, trainable, x)
        except tf.errors.InvalidArgumentError as error:
            return _origin("forward", error)
        loss_fn = _loss_function(loss)
        if loss_fn is None or sample.y is None:
            return None
        try:
            loss_fn(as_tensors(sample.y), y_pred)
        except tf.errors.InvalidArgumentError as error:
            return _origin("loss", error)
    return None


@contextlib.contextmanager
def _checking() -> Iterator[None]:
    keras_filtering = keras.config.is_traceback_filtering_enabled()
    tf_filtering = tf.debugging.is_traceback_filtering_enabled()
    keras.config.disable_traceback_filtering()
    tf.debugging.disable_traceback_filtering()
    tf.debugging.enable_check_numerics()
    try:
        yield
    finally:
        tf.debugging.disable_check_numerics()
        if keras_filtering:
            keras.config.enable_traceback_filtering()
        if tf_filtering:
            tf.debugging.enable_traceback_filtering()


def _origin(stage: str, error: BaseException) -> dict[str, Any]:
    frames: list[list[Any]] = []
    layer = None
    tb = error.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        frames.append([frame.f_code.co_filename, tb.tb_lineno])
        owner = frame.f_locals.get("self")
        if isinstance(owner, keras.Layer) and not isinstance(owner, keras.Model):
            layer = owner.name
        tb = tb.tb_next
    found = _OP.search(str(error))
    return {"stage": stage, "layer": layer, "op": found.group(1) if found else None, "frames": frames[-60:],
            "message": str(error).splitlines()[0][:300] if str(error) else ""}


def _loss_function(config: Any) -> Any:
    if isinstance(config, (dict, list, tuple)) or config is None:
        return None
    if isinstance(config, str):
        try:
            return keras.losses.get(config)
        except ValueError:
            return None
    return config if callable(config) else None


def _has_nonfinite(value: Any) -> bool:
    for leaf in keras.tree.flatten(value):
        array = np.asarray(leaf)
        if np.issubdtype(array.dtype, np.floating) and not np.all(np.isfinite(array)):
            return True
    return False


def locate_in_loss_at_output_edges(model: keras.Model, sample: FitBatch, loss: Any) -> dict[str, Any] | None:
    """The weights are NaN already, so the failing step cannot be replayed: evaluate the user's own
    loss on predictions at the edges of what the output can produce (exact 0 and 1, the values a
    saturated softmax/sigmoid reaches) and report the first op whose output is NaN/Inf there."""
    loss_fn = _loss_function(loss)
    if loss_fn is None or sample.y is None or _is_builtin(loss_fn):
        return None
    y_true = tf.convert_to_tensor(np.asarray(keras.tree.flatten(sample.y)[0]), dtype="float32")
    shape = _output_shape(model, y_true)
    if shape is None:
        return None
    with _checking():
        for edge in (0.0, 1.0, -1.0):  # a saturated softmax/sigmoid; a linear output below 0
            try:
                loss_fn(y_true, tf.fill(shape, tf.constant(edge, "float32")))
            except tf.errors.InvalidArgumentError as error:
                found = _origin("loss", error)
                found["edge"] = edge
                return found
            except Exception:  # noqa: BLE001 - the loss does not take such a tensor; nothing to learn
                return None
    return None


def _is_builtin(loss_fn: Any) -> bool:
    module = getattr(loss_fn, "__module__", None) or type(loss_fn).__module__
    return str(module).startswith(("keras.", "tensorflow."))


def _output_shape(model: keras.Model, y_true: tf.Tensor) -> list[int] | None:
    try:
        output = model.outputs[0] if getattr(model, "outputs", None) else None
    except Exception:  # noqa: BLE001 - a subclassed model has no symbolic outputs
        output = None
    if output is None or any(d is None for d in output.shape[1:]):
        return list(y_true.shape)
    return [int(y_true.shape[0]), *[int(d) for d in output.shape[1:]]]
