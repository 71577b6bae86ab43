"""Helpers several rules share: naming layers and lines, choosing a loss, finding where a layer is made."""

from __future__ import annotations

import re
from typing import Any, Sequence

import numpy as np

from gradmagic.evidence.facts.model import LayerInfo
from gradmagic.evidence.fit_evidence import FitEvidence
from gradmagic.fixes.layers import LayerCall

OP_SPELLING = {
    "ArgMax": "tf.argmax", "ArgMin": "tf.argmin", "Round": "tf.round", "Floor": "tf.floor",
    "Ceil": "tf.math.ceil", "Cast": "tf.cast", "Equal": "tf.equal", "NotEqual": "tf.not_equal",
    "Greater": "a `>` comparison", "GreaterEqual": "a `>=` comparison", "Less": "a `<` comparison",
    "LessEqual": "a `<=` comparison", "StopGradient": "tf.stop_gradient", "TopKV2": "tf.math.top_k",
    "SelectV2": "tf.where", "Select": "tf.where", "Sign": "tf.sign",
    "PyFunc": "tf.py_function", "EagerPyFunc": "tf.py_function", "NumpyFunction": "tf.numpy_function",
}


def op_spelling(op_type: str) -> str:
    """How an op reads in a message, inline code included: `tf.argmax`, a `>` comparison, `OpType`."""
    spelled = OP_SPELLING.get(op_type, op_type)
    return spelled if "`" in spelled else f"`{spelled}`"


def code_span(text: str) -> str:
    """``text`` as inline code in a message: fenced with one backtick more than its longest run of
    backticks (Keras's messages quote names in backticks), so the views show it whole."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


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
    """The width of the model's first output: its symbolic shape, else its last layer's output shape."""
    measured = fit.model_info.output_units
    if measured and measured[0] is not None:
        return measured[0]
    head = output_layer(fit)
    if head and head.output_shape:
        found = re.findall(r"(\d+)\)$", head.output_shape)
        return int(found[0]) if found else None
    return None


def output_units(fit: FitEvidence) -> int | None:
    return _units(fit)


def find_class(tree, name: str):
    """The ``class name(...):`` statement of the checked source (an ``ast.ClassDef``), or None."""
    import ast

    if tree is None:
        return None
    return next((node for node in ast.walk(tree) if isinstance(node, ast.ClassDef) and node.name == name), None)


def layer_class_chain(fit: FitEvidence, layer_name: str | None) -> list[str]:
    """The class names of a layer's (or the model's) class and its bases, most derived first (for source
    lookups)."""
    info = fit.model_info
    if layer_name is None:
        return []
    if info.name == layer_name:
        return list(info.class_chain)
    layer = info.layer(layer_name)
    return list(layer.class_chain) if layer is not None else []


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


def layer_call(layers: Sequence[LayerInfo], layer: LayerInfo | None) -> LayerCall | None:
    """Where the source makes ``layer`` (one of ``layers``): its line, class and which of the calls of
    that class on the line it is; None when its line is unknown."""
    if layer is None or layer.line is None:
        return None
    same = [other for other in layers if other.line == layer.line and other.class_name == layer.class_name]
    occurrence = next((i for i, other in enumerate(same) if other.name == layer.name), 0)
    return LayerCall(layer.line, layer.class_name, occurrence)
