"""Helpers several rules share: naming layers and lines, choosing a loss, editing compile()."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from gradmagic.evidence.fit_evidence import FitEvidence
from gradmagic.fixes import cst as cst_edit

OP_SPELLING = {
    "ArgMax": "tf.argmax", "ArgMin": "tf.argmin", "Round": "tf.round", "Floor": "tf.floor",
    "Ceil": "tf.math.ceil", "Cast": "tf.cast", "Equal": "tf.equal", "NotEqual": "tf.not_equal",
    "Greater": "a `>` comparison", "GreaterEqual": "a `>=` comparison", "Less": "a `<` comparison",
    "LessEqual": "a `<=` comparison", "StopGradient": "tf.stop_gradient", "TopKV2": "tf.math.top_k",
    "SelectV2": "tf.where", "Select": "tf.where", "Sign": "tf.sign",
    "PyFunc": "tf.py_function", "EagerPyFunc": "tf.py_function", "NumpyFunction": "tf.numpy_function",
}


def op_spelling(op_type: str) -> str:
    return OP_SPELLING.get(op_type, f"`{op_type}`")


def raised_errors(ctx) -> list[tuple[str, str, int | None]]:
    """``(type, message, line)`` of the probe's trace error, then of ``fit``'s own exception."""
    from gradmagic.core.errors import error_summary

    found = []
    probe = ctx.fit.probe
    if probe is not None and probe.error is not None:
        found.append((probe.error.type, probe.error.message, probe.error.line))
    exception = ctx.fit.exception
    if exception is not None:
        found.append((exception.type, error_summary(exception.type, exception.message), exception.line))
    return found


def compile_loss_line(tree) -> int | None:
    """The line of the first ``compile(loss=...)`` argument (the ``compile`` call when it has none)."""
    import ast

    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "compile":
            loss = next((k for k in node.keywords if k.arg == "loss"), None)
            return loss.value.lineno if loss else node.lineno
    return None


def own_nodes(function):
    """The AST nodes of a function's body, not of the functions, lambdas and classes defined in it."""
    import ast

    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))


def names_listed(names, limit: int = 4) -> str:
    """```dense`, `dense_1`, `dense_2` and 277 more``: a list that stays short for deep models."""
    names = list(names)
    shown = ", ".join(f"`{name}`" for name in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def written_spelling(line_text: str, names: tuple[str, ...]) -> str | None:
    """How the user spelled an op's call on its line (``tf.math.argmax``), as inline code, or None."""
    for name in names:
        match = re.search(rf"([A-Za-z_][\w.]*\.)?\b{re.escape(name)}\s*\(", line_text)
        if match:
            return f"`{(match.group(1) or '') + name}`"
    return None


def layer_for_scope(fit: FitEvidence, scope: str) -> str | None:
    """The model layer an op's name scope belongs to (``seq/dense_1_1/MatMul`` -> ``dense_1``)."""
    return fit.model_info.layer_for_scope(scope)


def layers_of(fit: FitEvidence, paths: list[str]) -> list[str]:
    """Layer names owning the given variable paths, in model order, without duplicates."""
    owners = {v.path: v.layer for v in fit.model_info.variables}
    wanted = {owners.get(path) for path in paths}
    return [layer.name for layer in fit.model_info.layers if layer.name in wanted]


def layer_line(fit: FitEvidence, name: str | None) -> int | None:
    layer = fit.model_info.layer(name) if name else None
    return layer.line if layer else None


def output_layer(fit: FitEvidence):
    """The last layer of the model (the output head of a single-output model)."""
    top = [layer for layer in fit.model_info.layers if layer.parent is None]
    return top[-1] if top else None


def target_kind(y: Any, units: int | None) -> str:
    """``one-hot``, ``integer``, ``binary`` or ``continuous`` for a sample of targets."""
    if y is None:
        return "unknown"
    array = np.asarray(y)
    if array.size == 0:
        return "unknown"
    if not np.issubdtype(array.dtype, np.number):
        return "unknown"
    finite = array[np.isfinite(array)] if np.issubdtype(array.dtype, np.floating) else array
    integral = finite.size > 0 and np.all(np.equal(np.mod(finite, 1), 0))
    if array.ndim >= 2 and array.shape[-1] > 1 and integral and set(np.unique(finite)) <= {0, 1} \
            and np.all(array.sum(axis=-1) == 1):
        return "one-hot"
    if integral and set(np.unique(finite)) <= {0, 1} and (units is None or units == 1):
        return "binary"
    if integral and finite.size and finite.min() >= 0:
        return "integer"
    return "continuous"


def suggested_loss(fit: FitEvidence) -> str:
    """A built-in loss (as code) that fits the model's output activation and the targets."""
    head = output_layer(fit)
    return loss_for_head(head.activation if head else None, _units(fit), fit.data.y)


def _units(fit: FitEvidence) -> int | None:
    model = fit.model
    try:
        shape = model.outputs[0].shape if getattr(model, "outputs", None) else None
    except Exception:  # noqa: BLE001 - subclassed models have no symbolic outputs
        shape = None
    if shape is not None and shape[-1] is not None:
        return int(shape[-1])
    head = output_layer(fit)
    if head and head.output_shape:
        found = re.findall(r"(\d+)\)$", head.output_shape)
        return int(found[0]) if found else None
    return None


def output_units(fit: FitEvidence) -> int | None:
    return _units(fit)


def replace_compile_loss(source: str, loss_code: str) -> str | None:
    """Set ``loss=`` in the (first) ``compile(...)`` call of the source."""
    return cst_edit.set_keyword_at(source, None, ("compile",), "loss", loss_code)


def ensure_import(source: str, module: str = "keras") -> str:
    """Add ``import keras`` at the top when a fix uses ``keras.`` and the source lacks it."""
    if re.search(rf"^\s*(import {module}\b|from {module} import)", source, re.M) or re.search(
        rf"^\s*import [\w, ]*\b{module}\b", source, re.M
    ):
        return source
    return f"import {module}\n" + source


def find_class(tree, name: str):
    """The ``class name(...):`` statement of the checked source (an ``ast.ClassDef``), or None."""
    import ast

    if tree is None:
        return None
    return next((node for node in ast.walk(tree) if isinstance(node, ast.ClassDef) and node.name == name), None)


def layer_class_chain(fit: FitEvidence, layer_name: str | None) -> list[str]:
    """The class names of a layer's class and its bases, most derived first (for source lookups)."""
    import inspect

    layer = _live_layer(fit, layer_name)
    if layer is None:
        return []
    return [cls.__name__ for cls in inspect.getmro(type(layer)) if cls.__module__ not in ("builtins",)]


def _live_layer(fit: FitEvidence, name: str | None):
    from gradmagic.core import keras_adapter

    model = fit.model
    if name is None or model is None:
        return None
    if getattr(model, "name", None) == name:
        return model
    return next((layer for layer in keras_adapter.flatten_layers(model) if layer.name == name), None)


def layer_variable_paths(fit: FitEvidence, name: str | None) -> list[str]:
    """Paths of every variable a layer (or the model itself) owns, its sublayers' included."""
    from gradmagic.evidence.model_info import variable_path

    layer = _live_layer(fit, name)
    return [variable_path(v) for v in layer.weights] if layer is not None else []


def span_of(line_text: str, needles: tuple[str, ...]) -> list[int] | None:
    """Columns ``[start, end)`` of the first call of one of ``needles`` (e.g. ``"argmax"``) on a line.

    The span runs to the matching closing parenthesis so the whole call is underlined.
    """
    for needle in needles:
        match = re.search(rf"[\w.]*\b{re.escape(needle)}\s*\(", line_text)
        if not match:
            continue
        depth, end = 0, len(line_text)
        for index in range(match.end() - 1, len(line_text)):
            depth += {"(": 1, ")": -1}.get(line_text[index], 0)
            if depth == 0:
                end = index + 1
                break
        return [match.start(), end]
    return None


def loss_for_head(activation: str | None, units: int | None, y: Any) -> str:
    """A built-in loss (as code) for one output head from its activation, width and targets."""
    kind = target_kind(y, units)
    if kind == "one-hot":
        name = "categorical_crossentropy"
    elif kind == "integer" and (units or 1) > 1:
        name = "sparse_categorical_crossentropy"
    elif kind == "binary":
        name = "binary_crossentropy"
    else:
        return '"mse"'
    if activation in (None, "linear"):
        class_name = "".join(part.title() for part in name.split("_"))
        return f"keras.losses.{class_name}(from_logits=True)"
    return f'"{name}"'


def units_of(output_shape: str | None) -> int | None:
    """The last dimension of a ``LayerInfo.output_shape`` string such as ``"(None, 3)"``."""
    found = re.findall(r"(\d+)\)$", output_shape or "")
    return int(found[0]) if found else None
