"""Describe a live Keras model as plain data (``facts.model``): layers, edges and variables."""

from __future__ import annotations

import inspect
from typing import Any

import keras

from gradmagic.core import keras_adapter
from gradmagic.evidence.facts.model import (
    EnclosingModel,
    LayerInfo,
    ModelInfo,
    OutputHead,
    TracedCall,
    UntrackedVariable,
    VariableInfo,
)


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
    info = ModelInfo(name=model.name, class_name=type(model).__name__, built=bool(model.built),
                     class_chain=class_chain(model))
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
                class_chain=class_chain(layer),
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
    info.trainable = bool(model.trainable)
    info.outputs = [OutputHead(key, layer) for key, layer in keras_adapter.output_heads(model)]
    try:
        info.dict_outputs = isinstance(model.output, dict)
    except Exception:  # noqa: BLE001 - subclassed or unbuilt models have no symbolic output
        info.dict_outputs = False
    info.output_units = _output_units(model)
    info.layer_attributes = _layer_attributes(model)
    for layer in [model, *layers]:
        info.untracked.extend(untracked_variables(layer))
        if is_traced_call(layer):
            info.traced_calls.append(traced_call(layer))
    return info


def untracked_variables(layer: keras.Layer) -> list[UntrackedVariable]:
    """Raw ``tf.Variable`` attributes of ``layer`` (also inside a list/tuple/dict attribute)."""
    import tensorflow as tf

    direct, nested = [], []
    for attribute, value in vars(layer).items():
        if attribute.startswith("_self_"):  # TensorFlow's own tracking bookkeeping
            continue
        if isinstance(value, tf.Variable):
            direct.append((attribute, value))
        elif isinstance(value, (list, tuple)):
            nested.extend((f"{attribute}[{i}]", item) for i, item in enumerate(value))
        elif isinstance(value, dict):
            nested.extend((f"{attribute}[{key!r}]", item) for key, item in value.items())
    found, seen = [], set()
    for name, item in direct + nested:
        if isinstance(item, tf.Variable) and id(item) not in seen:
            seen.add(id(item))
            found.append(UntrackedVariable(
                layer=layer.name, class_name=type(layer).__name__, attribute=name,
                dtype=item.dtype.name, shape=tuple(int(d) for d in item.shape if d is not None),
                trainable=bool(item.trainable)))
    return found


def is_traced_call(layer: keras.Layer) -> bool:
    """True when the layer's class (or a base class) wraps ``call`` in ``tf.function``."""
    import tensorflow as tf

    return isinstance(getattr(type(layer), "call", None), tf.types.experimental.GenericFunction)


def traced_call(layer: keras.Layer) -> TracedCall:
    """How the ``tf.function`` around ``layer.call`` has been traced: which traces read its weights."""
    handles = {id(h) for v in layer.weights if (h := keras_adapter.variable_handle(v)) is not None}
    graphs = keras_adapter.traced_graphs(layer.call)
    blind = sum(1 for graph in graphs if handles and not any(id(external) in handles
                                                             for external, _ in graph.captures))
    return TracedCall(layer.name, type(layer).__name__, len(layer.weights), len(graphs), blind,
                      variable_paths=tuple(variable_path(v) for v in layer.weights))


def class_chain(layer: keras.Layer) -> tuple[str, ...]:
    """Names of the layer's class and its bases, most derived first (``object`` left out)."""
    return tuple(cls.__name__ for cls in inspect.getmro(type(layer)) if cls.__module__ != "builtins")


def enclosing_models(model: keras.Model, candidates: list[keras.Model],
                     creation_lines: dict[int, int] | None = None) -> list[EnclosingModel]:
    """The ``candidates`` (other live models) that contain ``model`` as a layer."""
    creation_lines = creation_lines or {}
    found = []
    for other in candidates:
        if other is model:
            continue
        try:
            inner = any(layer is model for layer in keras_adapter.flatten_layers(other))
        except Exception:  # noqa: BLE001 - a half-built model cannot be walked
            continue
        if inner:
            found.append(EnclosingModel(
                name=other.name, class_name=type(other).__name__, compiled=keras_adapter.is_compiled(other),
                trainable_variables=len(other.trainable_variables), line=creation_lines.get(id(other))))
    return found


def variable_path(variable: Any) -> str:
    return str(getattr(variable, "path", None) or getattr(variable, "name", "?"))


def _output_units(model: keras.Model) -> tuple[int | None, ...]:
    """The last dimension of each symbolic output of the model."""
    try:
        outputs = list(model.outputs) if getattr(model, "outputs", None) else []
    except Exception:  # noqa: BLE001 - subclassed models have no symbolic outputs
        return ()
    units = []
    for output in outputs:
        shape = getattr(output, "shape", None)
        last = shape[-1] if shape is not None and len(shape) else None
        units.append(int(last) if last is not None else None)
    return tuple(units)


def _layer_attributes(model: keras.Model) -> tuple[tuple[str, str], ...]:
    """``(attribute, layer name)`` for each public attribute of the model that holds a layer."""
    found = []
    for attribute, value in vars(model).items():
        if attribute.startswith("_"):
            continue
        try:
            name = getattr(value, "name", None)
            holds_weights = hasattr(value, "weights")
        except Exception:  # noqa: BLE001 - an attribute whose properties fail is no layer to name
            continue
        if isinstance(name, str) and holds_weights:
            found.append((attribute, name))
    return tuple(found)


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
