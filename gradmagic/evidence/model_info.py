"""A plain description of a Keras model: layers, edges and variables."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import keras

from gradmagic.capture import keras_adapter


@dataclass
class VariableInfo:
    path: str
    layer: str | None
    dtype: str
    shape: tuple[int, ...]
    trainable: bool


@dataclass
class LayerInfo:
    name: str
    class_name: str
    trainable: bool
    activation: str | None
    inbound: list[str]
    parent: str | None
    output_shape: str | None
    params: int
    line: int | None = None


@dataclass
class ModelInfo:
    name: str
    class_name: str
    layers: list[LayerInfo] = field(default_factory=list)
    variables: list[VariableInfo] = field(default_factory=list)
    built: bool = True

    def layer(self, name: str | None) -> LayerInfo | None:
        return next((layer for layer in self.layers if layer.name == name), None)

    def variable(self, path: str) -> VariableInfo | None:
        return next((v for v in self.variables if v.path == path), None)

    def trainable_variables(self) -> list[VariableInfo]:
        return [v for v in self.variables if v.trainable]


def activation_name(layer: keras.Layer) -> str | None:
    """The activation a layer applies to its output, if it has one."""
    if isinstance(layer, keras.layers.Softmax):
        return "softmax"
    if isinstance(layer, keras.layers.ReLU):
        return "relu"
    if isinstance(layer, keras.layers.LeakyReLU):
        return "leaky_relu"
    activation = getattr(layer, "activation", None)
    if activation is None:
        return None
    if isinstance(activation, str):
        return activation
    return getattr(activation, "__name__", None) or type(activation).__name__.lower()


def describe_model(model: keras.Model, creation_lines: dict[int, int] | None = None) -> ModelInfo:
    """Describe ``model`` without running it. ``creation_lines`` maps ``id(layer)`` to a source line."""
    creation_lines = creation_lines or {}
    info = ModelInfo(name=model.name, class_name=type(model).__name__, built=bool(model.built))
    owner: dict[int, str] = {}
    parents: dict[int, str] = {}
    layers = list(keras_adapter.flatten_layers(model))
    for layer in layers:
        for child in getattr(layer, "layers", []) or []:
            parents[id(child)] = layer.name
        for variable in layer.weights:
            owner[id(variable)] = layer.name
    previous: str | None = None
    for layer in layers:
        parent = parents.get(id(layer))
        inbound = keras_adapter.inbound_layer_names(layer)
        if isinstance(model, keras.Sequential) and parent is None:
            inbound = [previous] if previous else []
            previous = layer.name
        info.layers.append(
            LayerInfo(
                name=layer.name,
                class_name=type(layer).__name__,
                trainable=bool(layer.trainable),
                activation=activation_name(layer),
                inbound=[name for name in inbound if name != layer.name],
                parent=parent,
                output_shape=_output_shape(layer),
                params=_count_params(layer),
                line=creation_lines.get(id(layer)),
            )
        )
    trainable_ids = {id(v) for v in model.trainable_variables}
    for variable in model.variables:
        info.variables.append(
            VariableInfo(
                path=variable_path(variable),
                layer=owner.get(id(variable)),
                dtype=str(getattr(variable, "dtype", "")),
                shape=tuple(int(d) for d in getattr(variable, "shape", ()) if d is not None),
                trainable=id(variable) in trainable_ids,
            )
        )
    return info


def variable_path(variable: Any) -> str:
    return str(getattr(variable, "path", None) or getattr(variable, "name", "?"))


def _output_shape(layer: keras.Layer) -> str | None:
    try:
        return str(layer.output.shape)
    except Exception:  # noqa: BLE001 - unbuilt or multi-node layers have no single output
        return None


def _count_params(layer: keras.Layer) -> int:
    try:
        return int(layer.count_params()) if layer.built else 0
    except Exception:  # noqa: BLE001
        return 0
