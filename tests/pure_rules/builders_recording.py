"""Recordings as the training recorder leaves them, built by hand for the pure GM3xx tests.

``recording(model, loss=[...], layers={"dense": {"grad_norm": [...]}})`` fills a ``BucketHistory``
with one bucket per step (step 1 first), the series of the recorder (totals and per layer, as
``evidence.recorder`` names them), the slots of the model's variables, the optimizer and the epoch
ends. A series is a list with one value per step (``None``: not measured at that step; NaN/Inf:
measured and not finite) or one number for every step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from gradmagic.evidence.facts.data import DataOrigin
from gradmagic.evidence.facts.history import BucketHistory
from gradmagic.evidence.facts.model import LayerInfo, ModelInfo, VariableInfo
from gradmagic.evidence.facts.preflight import (
    ArrayStats,
    LossInfo,
    OutputCheck,
    Preflight,
)
from gradmagic.evidence.facts.recording import (
    ActivationSnapshot,
    LayerActivation,
    NonfiniteEvent,
    Recording,
    Slot,
)

Series = Sequence[float | None] | float

TOTALS = ("loss", "loss_scale", "grad_norm", "grad_max", "update_ratio", "zero_fraction", "weight_norm",
          "nonfinite_grads", "nonfinite_weights", "zero_grad_units")
PER_LAYER = ("grad_norm", "grad_max", "update_ratio", "zero_fraction", "weight_norm", "nonfinite_grads",
             "nonfinite_weights", "zero_grad_units")


def optimizer(class_name: str = "Adam", learning_rate: float = 0.001, **settings: Any) -> dict[str, Any]:
    """The optimizer's description as the recorder keeps it."""
    return {"class": class_name, "learning_rate": learning_rate, "clipnorm": None, "global_clipnorm": None,
            "clipvalue": None, "loss_scale": False, **settings}


def slots(model: ModelInfo) -> list[Slot]:
    """One slot per trainable variable: kernels (rank >= 2) and rank-1 biases with their units."""
    return [Slot(path=f"{model.name}/{v.path}", layer=v.layer, size=int(np.prod(v.shape)), kernel=len(v.shape) >= 2,
                 units=v.shape[0] if len(v.shape) == 1 else 0)
            for v in model.variables if v.trainable]


def recording(model: ModelInfo, *, loss: Series, layers: dict[str, dict[str, Series]] | None = None,
              totals: dict[str, Series] | None = None, steps: int | None = None, epochs: int = 2,
              trained_by: dict[str, Any] | None = None, activations: Sequence[ActivationSnapshot] = (),
              nonfinite: dict[str, NonfiniteEvent] | None = None, origin: dict[str, Any] | None = None) -> Recording:
    """The recording of one ``fit`` of ``model`` over ``epochs`` equal epochs.

    The totals the rules read default to what the recorder computes from the layers, near enough:
    ``grad_norm`` their global norm, ``update_ratio`` the mean of their ratios (the recorder weighs
    them by the weights' norms), ``zero_fraction`` the share of kernel entries; ``totals`` overrides.
    """
    layers = layers or {}
    steps = steps or _length(loss)
    names = [layer.name for layer in model.layers if any(v.layer == layer.name for v in model.variables)]
    per_layer = {f"{name}/{layer}": values for layer, series in layers.items() for name, values in series.items()}
    given = {"loss": loss, **_derived_totals(model, layers, steps), **(totals or {}), **per_layer}
    history = BucketHistory([*TOTALS, *(f"{name}/{layer}" for layer in names for name in PER_LAYER)])
    values = np.full((steps, len(history.names)), np.nan)
    present = np.zeros(values.shape, bool)
    for name, series in given.items():
        column = history.index[name]
        for row, value in enumerate(_expanded(series, steps)):
            if value is not None:
                values[row, column], present[row, column] = value, True
    history.add_masked(1, values, present)
    assert steps % epochs == 0, f"{steps} steps do not make {epochs} equal epochs"
    per_epoch = steps // epochs
    description = trained_by or optimizer()
    found_slots = slots(model)
    return Recording(slots=found_slots, layers=names, history=history, optimizer=description, steps=steps,
                     epoch_ends=[per_epoch * (epoch + 1) for epoch in range(epochs)],
                     activations=list(activations), nonfinite=nonfinite or {}, origin=origin, loss_known=True,
                     loss_parts=1, optimizers=[{**description, "layers": names, "variables": len(found_slots)}],
                     reads=steps, active=True)


def _length(series: Series) -> int:
    assert not isinstance(series, (int, float)), "give `steps` when the loss is one number"
    return len(series)


def _expanded(series: Series, steps: int) -> list[float | None]:
    if isinstance(series, (int, float)):
        return [float(series)] * steps
    assert len(series) == steps, f"a series of {len(series)} values for {steps} steps"
    return list(series)


def _derived_totals(model: ModelInfo, layers: dict[str, dict[str, Series]], steps: int) -> dict[str, list]:
    kernel_size = {v.layer: int(np.prod(v.shape)) for v in model.variables if len(v.shape) >= 2}
    rows: dict[str, list] = {}
    for name, combine in (("grad_norm", _global_norm), ("update_ratio", _mean), ("zero_fraction", _weighted)):
        measured = {layer: _expanded(series[name], steps) for layer, series in layers.items() if name in series}
        if measured:
            rows[name] = [combine({layer: values[row] for layer, values in measured.items()}, kernel_size)
                          for row in range(steps)]
    return rows


def _global_norm(values: dict[str, float | None], _sizes: dict[str, int]) -> float | None:
    kept = [v for v in values.values() if v is not None]
    return math.sqrt(sum(v * v for v in kept)) if kept else None


def _mean(values: dict[str, float | None], _sizes: dict[str, int]) -> float | None:
    kept = [v for v in values.values() if v is not None]
    return sum(kept) / len(kept) if kept else None


def _weighted(values: dict[str, float | None], sizes: dict[str, int]) -> float | None:
    kept = {layer: v for layer, v in values.items() if v is not None}
    total = sum(sizes.get(layer, 1) for layer in kept)
    return sum(v * sizes.get(layer, 1) for layer, v in kept.items()) / total if kept else None


def shot(step: int, *layers: LayerActivation) -> ActivationSnapshot:
    """The activation probe at ``step`` (0: before the first step; then after each epoch)."""
    return ActivationSnapshot(step=step, epoch=None, layers=list(layers))


def relu_output(layer: str, units: int, dead_units: int, **fields: Any) -> LayerActivation:
    """A hidden ReLU layer's output on the probe batch, ``dead_units`` of its units 0 for every sample."""
    return LayerActivation(layer=layer, activation="relu", units=units, is_output=False, dead_units=dead_units,
                           dead_fraction=dead_units / units, **fields)


def squashed_output(layer: str, activation: str, units: int, saturated_fraction: float, saturated_units: int,
                    **fields: Any) -> LayerActivation:
    """A hidden sigmoid/tanh layer's output on the probe batch."""
    return LayerActivation(layer=layer, activation=activation, units=units, is_output=False,
                           saturated_fraction=saturated_fraction, saturated_units=saturated_units, **fields)


def model_output(layer: str, activation: str | None, units: int, **fields: Any) -> LayerActivation:
    return LayerActivation(layer=layer, activation=activation, units=units, is_output=True, **fields)


def inputs_from(name: str, line: int, shape: tuple[int, ...], low: float, high: float,
                nonfinite: int = 0) -> Preflight:
    """The pre-flight of ``fit(name, ...)`` where ``name`` is made on ``line`` with values in ``low..high``
    (``nonfinite`` NaN, the first at index 0)."""
    origin = DataOrigin(argument="x", expression=name, name=name, line=line, argument_is_name=True,
                        argument_line=line)
    stats = ArrayStats(argument="x", role="inputs", shape=shape, dtype="float32", rows_total=shape[0],
                       rows_scanned=shape[0], nan_count=nonfinite, nonfinite_rows=min(nonfinite, shape[0]),
                       first_nonfinite=(0,) * len(shape) if nonfinite else None, min=low, max=high,
                       mean=(low + high) / 2, std=(high - low) / 4, columns=shape[1] if len(shape) == 2 else None,
                       origin=origin)
    return Preflight(inputs=[stats], origins={"x": origin})


def kernel_layer(name: str, class_name: str, *, activation: str | None, line: int, units: int,
          shape: tuple[int, ...]) -> tuple[LayerInfo, list[VariableInfo]]:
    """A layer other than ``Dense`` (``Conv2D``...) with its kernel of ``shape`` and bias of ``units``."""
    info = LayerInfo(name=name, class_name=class_name, trainable=True, activation=activation, inbound=[],
                     parent=None, output_shape=f"(None, {units})", params=int(np.prod(shape)) + units, line=line,
                     class_chain=(class_name, "Layer", "Operation"))
    return info, [VariableInfo(f"{name}/kernel", name, "float32", shape, True),
                  VariableInfo(f"{name}/bias", name, "float32", (units,), True)]


def output_head(loss: str, family: str, *, layer: str = "dense_1", units: int = 1, activation: str | None = None,
                target_kind: str = "continuous", targets: ArrayStats | None = None,
                prior_loss: float | None = None) -> OutputCheck:
    """The pre-flight's description of a single output head compiled with the built-in ``loss``."""
    return OutputCheck(index=0, key=layer, layer=layer, activation=activation, units=units,
                       loss=LossInfo(spelled=loss, name=loss, family=family, form="string"),
                       targets=targets, target_kind=target_kind, prior_loss=prior_loss)


def target_stats(name: str, line: int, rows: int, low: float, high: float, mean: float, std: float) -> ArrayStats:
    """The targets ``name`` made on ``line``, as the pre-flight measures them."""
    origin = DataOrigin(argument="y", expression=name, name=name, line=line, argument_is_name=True,
                        argument_line=line)
    return ArrayStats(argument="y", role="targets", shape=(rows, 1), dtype="float32", rows_total=rows,
                      rows_scanned=rows, min=low, max=high, mean=mean, std=std, columns=1, origin=origin)
