"""What the training recorder measured during one ``fit``: per-step statistics, activations, NaN/Inf events.

Filled in by ``evidence.recorder`` (and ``evidence.activations``); read by the GM3xx rules.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from gradmagic.evidence.facts.history import BucketHistory
from gradmagic.evidence.facts.plain import Plain
from gradmagic.evidence.facts.sealed import Sealed

DEFAULT_INTERVAL = 100

RELU_FAMILY = ("relu", "relu6")
SATURATING = {"sigmoid": 1.0 / (1.0 + np.exp(5.0)), "tanh": float(np.tanh(5.0))}


@dataclass
class LayerActivation(Sealed):
    """One layer's output on the probe batch."""

    layer: str
    activation: str | None
    units: int
    is_output: bool
    dead_units: int | None = None
    dead_fraction: float | None = None
    zero_fraction: float | None = None
    saturated_fraction: float | None = None
    saturated_units: int | None = None
    mean_abs: float | None = None
    std: float | None = None
    nonfinite: int = 0


@dataclass
class ActivationSnapshot(Sealed):
    step: int
    epoch: int | None
    layers: list[LayerActivation] = field(default_factory=list)

    def layer(self, name: str) -> LayerActivation | None:
        return next((item for item in self.layers if item.layer == name), None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Slot(Sealed):
    """One trainable variable as the recorder sees it."""

    path: str
    layer: str | None
    size: int
    kernel: bool
    sparse: bool = False
    units: int = 0  # entries of a rank-1 variable (a bias's units); 0 for kernels and scalars


@dataclass
class NonfiniteEvent(Sealed):
    """The first step at which something turned NaN/Inf, and what."""

    step: int
    layers: list[str] = field(default_factory=list)
    variables: list[str] = field(default_factory=list)
    count: int = 0  # variables that held NaN/Inf at that step
    loss: float | None = None
    values: int | None = None  # NaN/Inf values in those variables after fit (weights only)


@dataclass
class Recording(Sealed):
    """What the recorder measured during one ``fit``; detectors read this."""

    slots: list[Slot]
    layers: list[str]
    history: BucketHistory
    optimizer: dict[str, Plain] = field(default_factory=dict)
    interval: int = DEFAULT_INTERVAL
    steps: int = 0
    epoch_ends: list[int] = field(default_factory=list)
    # Keras's epoch logs (loss, compiled metrics, val_*), one ``{"step", "values"}`` per epoch end
    epoch_logs: list[dict[str, Plain]] = field(default_factory=list)
    activations: list[ActivationSnapshot] = field(default_factory=list)
    nonfinite: dict[str, NonfiniteEvent] = field(default_factory=dict)
    origin: dict[str, Plain] | None = None
    loss_known: bool = False
    # distinct losses descended in one step: 1 for ordinary training, 2 for a GAN's d_loss + g_loss
    # (the "loss" series is their sum, which is not expected to go down)
    loss_parts: int = 0
    # every optimizer that applied gradients: its settings and the layers it updated, in order
    optimizers: list[dict[str, Plain]] = field(default_factory=list)
    reads: int = 0
    dropped: int = 0
    active: bool = False
    notices: list[str] = field(default_factory=list)

    def series(self, name: str, layer: str | None = None) -> dict[str, np.ndarray]:
        return self.history.series(series_name(name, layer))

    def values(self, name: str, layer: str | None = None, stat: str = "mean") -> tuple[np.ndarray, np.ndarray]:
        """``(steps, values)`` of one statistic of one series (buckets where it was measured)."""
        data = self.series(name, layer)
        return data["steps"], data[stat]

    def to_dict(self, points: int = 256) -> dict[str, Any]:
        """A JSON-friendly copy with at most ``points`` buckets per series."""
        history = self.history.to_dict(points=points)
        history.update({
            "layers": list(self.layers),
            "optimizer": dict(self.optimizer),
            "optimizers": [dict(entry) for entry in self.optimizers],
            "loss_parts": self.loss_parts,
            "interval": self.interval,
            "steps": self.steps,
            "epoch_ends": list(self.epoch_ends),
            "epoch_logs": list(self.epoch_logs),
            "activations": [snapshot.to_dict() for snapshot in self.activations],
            "nonfinite": {kind: vars(event) for kind, event in self.nonfinite.items()},
            "origin": self.origin,
            "dropped_steps": self.dropped,
            "notices": list(self.notices),
        })
        return jsonable(history)


def series_name(name: str, layer: str | None = None) -> str:
    return f"{name}/{layer}" if layer else name


def jsonable(value: Any) -> Any:
    """Strict JSON as the report writes it (findings.md): NaN/Inf become ``"NaN"``, ``"Infinity"``,
    ``"-Infinity"``."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if np.isfinite(number):
            return number
        return "NaN" if np.isnan(number) else "Infinity" if number > 0 else "-Infinity"
    if isinstance(value, np.integer):
        return int(value)
    return value
