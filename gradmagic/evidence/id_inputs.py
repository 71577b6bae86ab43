"""Which layers read each model input directly, and whether the values fed to id-taking layers are ids.

An ``Embedding`` (``CategoryEncoding``, ``IntegerLookup``) takes integer ids, not features: Keras
casts what it gets to ``int32`` (``0.7`` becomes ``0``), looks up negative ids from the end of the
table and, on CPU, raises ``indices[...] = N is not in [0, input_dim)`` for ids beyond it. The
pre-flight maps each ``fit`` input (``x``, ``x[0]``, ``x['ids']``) to the layers that read it
directly and, for the id-taking ones, counts the scanned values that are not ids in range.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gradmagic.core import keras_adapter
from gradmagic.evidence.facts.data import IdInput
from gradmagic.evidence.facts.model import LayerInfo, ModelInfo

# id-taking layer class -> the attribute holding the number of ids it accepts (None: any integer)
ID_LAYERS: dict[str, str | None] = {"Embedding": "input_dim", "CategoryEncoding": "num_tokens",
                                    "IntegerLookup": None}
_MODELS = {"Sequential", "Functional", "Model"}


def _input_layer_name(tensor: Any) -> str | None:
    history = getattr(tensor, "_keras_history", None)
    operation = getattr(history, "operation", None)
    return getattr(operation, "name", None) or getattr(tensor, "name", None)


def _arguments(model: Any, info: ModelInfo) -> dict[str, str]:
    """``{fit argument: InputLayer name}`` for every spelling of the model's inputs."""
    input_layers = [layer.name for layer in info.layers if layer.class_name == "InputLayer" and layer.parent is None]
    try:
        struct = getattr(model, "_inputs_struct", None)
        if struct is None:
            struct = model.inputs
    except Exception:  # noqa: BLE001 - a Sequential that was never called has no inputs yet
        struct = None
    found: dict[str, str] = {}
    if isinstance(struct, dict):
        for key, tensor in struct.items():
            name = _input_layer_name(tensor)
            if name:
                found[f"x[{key!r}]"] = name
        tensors = list(struct.values())
    elif isinstance(struct, (list, tuple)):
        tensors = list(struct)
    elif struct is not None:
        tensors = [struct]
    else:
        tensors = []
    names = [n for n in (_input_layer_name(t) for t in tensors) if n]
    for index, name in enumerate(names):
        found[f"x[{index}]"] = name
        found.setdefault(f"x[{name!r}]", name)
    if len(names) == 1:
        found["x"] = names[0]
    elif not names and len(input_layers) == 1:
        found["x"] = input_layers[0]
    return found


def _readers(info: ModelInfo, input_name: str | None, depth: int = 0) -> list[LayerInfo]:
    """Layers reading ``input_name`` (an InputLayer; None: the model has none) directly, looking into nested models."""
    top = [layer for layer in info.layers if layer.parent is None and layer.class_name != "InputLayer"]
    if input_name is None:
        first = top[:1]
    else:
        first = [layer for layer in info.layers if layer.class_name != "InputLayer" and input_name in layer.inbound]
    found: list[LayerInfo] = []
    for layer in first:
        found.extend(_inside(info, layer, depth) if layer.class_name in _MODELS or _has_children(info, layer) else [layer])
    return found


def _has_children(info: ModelInfo, layer: LayerInfo) -> bool:
    return any(child.parent == layer.name for child in info.layers)


def _inside(info: ModelInfo, model: LayerInfo, depth: int) -> list[LayerInfo]:
    """The layers of a nested model that read its (first) input."""
    if depth > 8:
        return []
    children = [c for c in info.layers if c.parent == model.name]
    inputs = [c.name for c in children if c.class_name == "InputLayer"]
    layers = [c for c in children if c.class_name != "InputLayer"]
    readers = [c for c in layers if inputs and inputs[0] in c.inbound] or layers[:1]
    found: list[LayerInfo] = []
    for layer in readers:
        found.extend(_inside(info, layer, depth + 1) if _has_children(info, layer) else [layer])
    return found


def input_readers(model: Any, info: ModelInfo) -> dict[str, list[LayerInfo]]:
    """``{"x": [layers], "x[0]": [...], "x['ids']": [...]}``: the layers that read each ``fit`` input directly.

    Empty for a subclassed model, whose ``call`` decides what reads what.
    """
    if info.class_name not in ("Sequential", "Functional") and not info.outputs:
        return {}
    arguments = _arguments(model, info)
    if not arguments and info.class_name == "Sequential":
        arguments = {"x": None}  # type: ignore[dict-item] - a Sequential without an Input: its first layer
    return {argument: _readers(info, name) for argument, name in arguments.items()}


def _limit(model: Any, layer: LayerInfo) -> int | None:
    attribute = ID_LAYERS.get(layer.class_name)
    if attribute is None:
        return None
    live = next((item for item in keras_adapter.flatten_layers(model) if item.name == layer.name), None)
    value = getattr(live, attribute, None)
    return int(value) if isinstance(value, (int, np.integer)) else None


def measure_ids(readers: dict[str, list[LayerInfo]], model: Any, arrays: dict[str, Any], rows: dict[str, int],
                read: Callable[[Any, int], np.ndarray]) -> list[IdInput]:
    """For each input read by an id-taking layer: how many scanned values are not ids in range."""
    found: list[IdInput] = []
    for argument, layers in readers.items():
        array = arrays.get(argument)
        if array is None:
            continue
        values: np.ndarray | None = None
        for layer in layers:
            if layer.class_name not in ID_LAYERS:
                continue
            if values is None:
                values = read(array, rows.get(argument, 0) or len(array))
                if values.dtype == bool or not np.issubdtype(values.dtype, np.number):
                    break
            found.append(_measure(argument, layer, _limit(model, layer), values))
    return found


def _measure(argument: str, layer: LayerInfo, limit: int | None, values: np.ndarray) -> IdInput:
    flat = values.reshape(-1)
    item = IdInput(argument=argument, layer=layer.name, class_name=layer.class_name, line=layer.line,
                   input_dim=limit, dtype=str(values.dtype), values_scanned=int(flat.size))
    if np.issubdtype(flat.dtype, np.floating):
        finite_mask = np.isfinite(flat)
        item.nonfinite = int(flat.size - np.count_nonzero(finite_mask))
        flat = flat[finite_mask]
        item.non_integral = int(np.count_nonzero(flat != np.floor(flat)))
    if flat.size:
        item.min, item.max = float(flat.min()), float(flat.max())
        item.negative = int(np.count_nonzero(flat < 0))
        if limit is not None:
            item.beyond = int(np.count_nonzero(flat >= limit))
    return item
