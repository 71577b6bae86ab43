"""Activation statistics on a fixed probe batch: dead ReLU units, saturated sigmoid/tanh units,
and the scale of each layer's output.

Runs the model's layers in inference mode on the first batch gradmagic already sampled
(``LiveFit.batch``), never on the training stream. Only models with a symbolic graph
(Sequential with an ``Input``, functional) can be probed; the probe says so otherwise.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf
import numpy as np

from gradmagic.evidence.batches import as_tensors
from gradmagic.evidence.facts.model import ModelInfo
from gradmagic.evidence.facts.recording import RELU_FAMILY, SATURATING, ActivationSnapshot, LayerActivation


class ActivationProbe:
    """Evaluates chosen layer outputs for a fixed batch; build with :meth:`create`."""

    def __init__(self, function: Any, layers: list[tuple[str, str | None, bool]], x: Any,
                 state: list | None = None) -> None:
        self.function = function
        self.layers = layers
        self.x = x
        self.state = state or []

    @classmethod
    def create(cls, model: keras.Model, info: ModelInfo, x: Any) -> tuple[ActivationProbe | None, str | None]:
        """A probe, or None and the reason it cannot be built."""
        if x is None:
            return None, "no probe batch was sampled from the training data"
        try:
            inputs = model.inputs
        except Exception:  # noqa: BLE001 - subclassed models have no symbolic inputs
            inputs = None
        if not inputs:
            return None, "the model has no symbolic inputs (subclassed model); activations were not probed"
        outputs_of_model = {id(t) for t in keras.tree.flatten(model.outputs)}
        chosen: list[tuple[str, str | None, bool]] = []
        tensors = []
        for layer_info in info.layers:
            if layer_info.class_name == "InputLayer":
                continue
            try:
                layer = model.get_layer(layer_info.name) if layer_info.parent is None else None
            except ValueError:
                layer = None
            if layer is None:
                continue
            try:
                tensor = layer.output
                keras.Function(inputs, [tensor])
            except Exception:  # noqa: BLE001 - not reachable from the model's inputs
                continue
            if not hasattr(tensor, "shape") or len(tensor.shape) < 2:
                continue
            chosen.append((layer_info.name, layer_info.activation, id(tensor) in outputs_of_model))
            tensors.append(tensor)
        if not tensors:
            return None, "no layer output could be probed"
        # Traced once and run as a graph: the user's layers run no Python per measurement, and
        # random layers' seed states are restored after each run (see ``measure``).
        function = tf.function(keras.Function(inputs, tensors))
        sample = as_tensors(x)
        if isinstance(sample, dict):
            sample = [sample[tensor.name] for tensor in inputs]
        elif not isinstance(sample, (list, tuple)):
            sample = [sample]
        return cls(function, chosen, list(sample), list(model.non_trainable_variables)), None

    def measure(self, step: int, epoch: int | None) -> ActivationSnapshot:
        saved = [np.array(variable.numpy(), copy=True) for variable in self.state]
        try:
            values = self.function(self.x)
        finally:
            for variable, value in zip(self.state, saved):
                variable.assign(value)
        snapshot = ActivationSnapshot(step=step, epoch=epoch)
        for (name, activation, is_output), value in zip(self.layers, values):
            snapshot.layers.append(_describe(name, activation, is_output, np.asarray(value, np.float64)))
        return snapshot


def _describe(name: str, activation: str | None, is_output: bool, value: np.ndarray) -> LayerActivation:
    units = int(value.shape[-1])
    flat = value.reshape(-1, units)
    finite = np.isfinite(flat)
    item = LayerActivation(layer=name, activation=activation, units=units, is_output=is_output,
                           nonfinite=int((~finite).sum()))
    clean = np.where(finite, flat, 0.0)
    item.mean_abs = float(np.abs(clean).mean()) if clean.size else 0.0
    item.std = float(clean.std()) if clean.size else 0.0
    if activation in RELU_FAMILY:
        dead = np.all(flat <= 0.0, axis=0) & np.all(finite, axis=0)
        item.dead_units = int(dead.sum())
        item.dead_fraction = round(float(dead.mean()), 4)
        item.zero_fraction = round(float((flat == 0.0).mean()), 4)
    elif activation in SATURATING:
        edge = SATURATING[activation]
        if activation == "sigmoid":
            flat_region = (flat <= edge) | (flat >= 1.0 - edge)
        else:
            flat_region = np.abs(flat) >= edge
        item.saturated_fraction = round(float(flat_region.mean()), 4)
        item.saturated_units = int((flat_region.mean(axis=0) > 0.5).sum())
    return item
