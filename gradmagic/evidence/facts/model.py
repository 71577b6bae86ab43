"""A plain description of a Keras model: layers, edges and variables (filled in by ``evidence.model_info``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gradmagic.evidence.facts.sealed import Sealed


@dataclass
class VariableInfo(Sealed):
    path: str
    layer: str | None
    dtype: str
    shape: tuple[int, ...]
    trainable: bool


@dataclass
class LayerInfo(Sealed):
    name: str
    class_name: str
    trainable: bool
    activation: str | None
    inbound: list[str]
    parent: str | None
    output_shape: str | None
    params: int
    line: int | None = None
    class_chain: tuple[str, ...] = ()  # its class and base classes, most derived first (``object`` left out)


@dataclass
class UntrackedVariable(Sealed):
    """A raw ``tf.Variable`` held in a layer attribute: Keras 3 neither tracks nor trains it."""

    layer: str
    class_name: str
    attribute: str
    dtype: str
    shape: tuple[int, ...]
    trainable: bool


@dataclass
class OutputHead(Sealed):
    """One output of a functional model: its key (dict key or output name) and its layer."""

    key: str
    layer: str


@dataclass
class TracedCall(Sealed):
    """A layer (or the model itself) whose class decorates ``call`` with ``tf.function``."""

    layer: str
    class_name: str
    variables: int = 0
    traces: int = 0
    # traces of ``call`` so far that read none of the layer's variables (they use initial values)
    blind_traces: int = 0
    variable_paths: tuple[str, ...] = ()  # every variable the layer owns, its sublayers' included


@dataclass
class EnclosingModel(Sealed):
    """Another live model that contains this model as a layer."""

    name: str
    class_name: str
    compiled: bool
    trainable_variables: int
    line: int | None


@dataclass
class ModelInfo(Sealed):
    name: str
    class_name: str
    layers: list[LayerInfo] = field(default_factory=list)
    variables: list[VariableInfo] = field(default_factory=list)
    built: bool = True
    trainable: bool = True
    untracked: list[UntrackedVariable] = field(default_factory=list)
    outputs: list[OutputHead] = field(default_factory=list)
    traced_calls: list[TracedCall] = field(default_factory=list)
    dict_outputs: bool = False  # the model returns a dict: Keras then matches targets and losses by key
    class_chain: tuple[str, ...] = ()  # the model's class and base classes, most derived first
    # public attributes of the model that hold a layer: ``(attribute, layer name)``, in assignment order
    layer_attributes: tuple[tuple[str, str], ...] = ()
    # the last dimension of each symbolic output (None where unknown); empty without symbolic outputs
    output_units: tuple[int | None, ...] = ()

    def layer(self, name: str | None) -> LayerInfo | None:
        return next((layer for layer in self.layers if layer.name == name), None)

    def layer_for_scope(self, scope: str) -> str | None:
        """The layer an op's name scope belongs to (``seq/dense_1_1/MatMul`` -> ``dense_1``).

        Tracing adds ``_N`` suffixes to name scopes, so each part is also tried without one.
        """
        names = {layer.name for layer in self.layers}
        for part in reversed(scope.split("/")):
            if part in names:
                return part
            trimmed = re.sub(r"_\d+$", "", part)
            if trimmed in names:
                return trimmed
        return None

    def variable(self, path: str) -> VariableInfo | None:
        return next((v for v in self.variables if v.path == path), None)

    def trainable_variables(self) -> list[VariableInfo]:
        return [v for v in self.variables if v.trainable]
