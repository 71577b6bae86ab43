"""GM004 leaves-tensorflow: the value leaves TensorFlow inside the forward pass or loss: `.numpy()`, NumPy calls, `tf.numpy_function`/`py_function`, Python `float()`. Also explains the graph-mode errors this causes (`'SymbolicTensor' object has no attribute 'numpy'`, `Cannot convert a symbolic tf.Tensor`).

## What it does
Reads how tracing the training step failed and what the traced graph holds. Fires when a
loss, a layer's `call` or a custom `train_step` takes a tensor out of TensorFlow:
`.numpy()` (`AttributeError: 'SymbolicTensor' object has no attribute 'numpy'`), a NumPy
function on a tensor (`NotImplementedError: Cannot convert a symbolic tf.Tensor ... to a
numpy array`), `float()`/`int()` on a tensor (`TypeError: float() argument must be ...
not 'SymbolicTensor'`), or `tf.numpy_function`/`tf.py_function` on the path from the
weights to the loss (no gradient; an output of unknown shape).

## Why is this bad?
`fit` runs the training step as a `tf.function` graph. While it is traced, tensors are
symbolic: they have no value for NumPy or Python to compute with, so the step fails
before the first batch. Code that escapes this through `tf.numpy_function` runs, but
TensorFlow cannot differentiate Python code: every weight before it gets no gradient
(GM001 / GM002), and its output has an unknown shape that Keras's loss reduction rejects
(`Cannot iterate over a shape with unknown rank.`).

## Example
```python
def my_loss(y_true, y_pred):
    return np.mean(np.square(y_true - y_pred))
```

## Use instead
```python
def my_loss(y_true, y_pred):
    return keras.ops.mean(keras.ops.square(y_true - y_pred))
```

## Fix safety
`safe` for replacing NumPy functions by their `keras.ops` namesakes (same values, on
tensors) and for dropping `.numpy()`; `review` when `float()`/`int()` is dropped (the
value stays a tensor) or a `tf.numpy_function`/`tf.py_function` is replaced by the ops it
wraps (check the dtype). No fix is offered when the wrapped function is a lambda or any
NumPy call on the line has no one-to-one `keras.ops` counterpart.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Iterable

from gradmagic.fixes import make_fix
from gradmagic.fixes.numpy_ops import (
    NUMPY_TO_OPS,
    keep_in_tensorflow_on_line,
    keep_in_tensorflow_to_function_end,
    numpy_aliases,
    unwrap_numpy_function,
)
from gradmagic.report.model import Finding, Fix
from gradmagic.rules._shared import (
    OP_SPELLING,
    code_span,
    layer_for_scope,
    raised_errors,
)
from gradmagic.rules.base import Rule, RuleContext

GRAPH_ERRORS = (
    (".numpy()", "AttributeError", re.compile(r"object has no attribute 'numpy'")),
    ("numpy-call", "NotImplementedError", re.compile(r"Cannot convert a symbolic (tf\.Tensor|Keras tensor)")),
    ("python-number", "TypeError", re.compile(r"^(float|int)\(\) argument must be .*'SymbolicTensor'")),
)
UNKNOWN_SHAPE = re.compile(r"unknown rank|rank is undefined|unknown shape")
LEAVING_OPS = {"PyFunc": "tf.numpy_function", "PyFuncStateless": "tf.numpy_function",
               "NumpyFunction": "tf.numpy_function", "EagerPyFunc": "tf.py_function", "EagerNumpy": ".numpy()"}

GRAPH_NOTE = ("`fit` traces the training step into a `tf.function` graph: there tensors are symbolic "
              "and have no value for NumPy or Python to compute with")


@dataclass
class _Failure:
    kind: str
    type: str
    message: str
    line: int | None


def detect(ctx: RuleContext) -> Iterable[Finding]:
    fit = ctx.fit
    failure = _graph_failure(ctx)
    if failure is not None:
        yield _failure_finding(ctx, failure)
        return
    probe = fit.probe
    if probe is None:
        return
    reported: set[int | None] = set()
    if probe.paths_in_state("none"):
        for cut in probe.cuts:
            if cut.reason == "leaves-tensorflow" and cut.line not in reported:
                reported.add(cut.line)
                yield _cut_finding(ctx, cut)
    if probe.error is not None and UNKNOWN_SHAPE.search(probe.error.message):
        for call in probe.left_tensorflow:
            if call.line is not None and call.line not in reported:
                reported.add(call.line)
                yield _unknown_shape_finding(ctx, call)


# -- the graph-mode errors -----------------------------------------------------------------

def _graph_failure(ctx: RuleContext) -> _Failure | None:
    """The trace error of the probe, else of ``fit`` itself, when it is a value leaving TF."""
    for type_name, message, line in raised_errors(ctx):
        for kind, expected_type, pattern in GRAPH_ERRORS:
            if type_name == expected_type and pattern.search(message):
                return _Failure(kind, type_name, message, line)
    return None


def _failure_finding(ctx: RuleContext, failure: _Failure) -> Finding:
    line = failure.line
    function, owner = _enclosing_function(ctx.source.tree, line)
    where = _where(ctx, function)
    text = ctx.source.line_text(line)
    construct = _construct(failure.kind, text, numpy_aliases(ctx.source.tree))
    subject = f"`{owner}.{function}`" if owner and function else f"`{function}`" if function else "the training step"
    if failure.kind == ".numpy()":
        message = f"`.numpy()` needs a concrete value, but while Keras traces {subject} the tensor is symbolic"
        help_text = "drop `.numpy()` and keep the tensor; compute with `keras.ops` or `tf` ops"
    elif failure.kind == "numpy-call":
        message = f"`{construct}` gets a symbolic tensor while Keras traces {subject}; NumPy cannot compute on it"
        name = construct.rsplit(".", 1)[-1]
        help_text = (f"use `keras.ops.{name}`: it computes the same on tensors and keeps the gradient"
                     if name in NUMPY_TO_OPS else "compute it with `keras.ops` or `tf` ops instead of NumPy")
    else:
        message = f"`{construct}` needs a Python number, but while Keras traces {subject} the tensor is symbolic"
        help_text = "keep the tensor: drop the conversion; use `keras.ops.cast(x, \"float32\")` to change the dtype"
    evidence = {"construct": construct, "function": function, "where": where,
                "exception_type": failure.type, "exception_message": failure.message}
    failed = ctx.fit.exception is not None and ctx.fit.exception.type == failure.type
    notes = [GRAPH_NOTE, f"tracing the step raises `{failure.type}: {failure.message}`"
             + (f"; the `fit` on line {ctx.fit.line} failed with it" if failed and ctx.fit.line else "")]
    return RULE.finding(message, line=line, layer=_layer_of(ctx, owner, function), evidence=evidence,
                        notes=notes, help=help_text, fixes=_graph_failure_fixes(ctx, line),
                        label="needs a concrete value; in the traced step the tensor is symbolic")


def _graph_failure_fixes(ctx: RuleContext, line: int | None) -> list[Fix]:
    """The failing line's own fix, or, when later lines of its function leave TensorFlow too (they would
    fail next), the fix that keeps the whole rest of the function in TensorFlow."""
    on_line, rest = _line_fix(ctx, line), _function_rest_fix(ctx, line)
    if rest is not None and (on_line is None or rest.patched_source != on_line.patched_source):
        return [rest]
    return [on_line] if on_line is not None else []


def _construct(kind: str, text: str, aliases: set[str]) -> str:
    if kind == ".numpy()":
        return ".numpy()"
    if kind == "python-number":
        found = re.search(r"\b(float|int)\(", text)
        return f"{found.group(1)}()" if found else "float()"
    for alias in sorted(aliases, key=len, reverse=True):
        found = re.search(rf"\b{re.escape(alias)}\.(\w+)\(", text)
        if found:
            return f"{alias}.{found.group(1)}"
    return "a NumPy function"


def _where(ctx: RuleContext, function: str | None) -> str:
    if function in ("call", "train_step"):
        return function
    if function and any(entry.function_name == function for entry in ctx.fit.loss.entries):
        return "loss"
    return "function"


def _layer_of(ctx: RuleContext, owner: str | None, function: str | None) -> str | None:
    """The layer whose ``call`` holds the line (by its class written in the source)."""
    if owner is None or function != "call":
        return None
    info = ctx.fit.model_info
    if info.class_name == owner:
        return info.name
    return next((layer.name for layer in info.layers if layer.class_name == owner), None)


def _enclosing_function(tree: ast.Module | None, line: int | None) -> tuple[str | None, str | None]:
    """Name of the innermost function holding ``line`` and of the class that defines it."""
    if tree is None or line is None:
        return None, None
    best: tuple[int, str, str | None] | None = None

    def visit(node: ast.AST, owner: str | None) -> None:
        nonlocal best
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, child.name)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if child.lineno <= line <= (child.end_lineno or child.lineno):
                    if best is None or child.lineno >= best[0]:
                        best = (child.lineno, child.name, owner)
                visit(child, None)
            else:
                visit(child, owner)

    visit(tree, None)
    return (best[1], best[2]) if best else (None, None)


# -- tf.numpy_function / tf.py_function ----------------------------------------------------

def _cut_finding(ctx: RuleContext, cut) -> Finding:
    fit = ctx.fit
    probe = fit.probe
    api = LEAVING_OPS.get(cut.op_type, OP_SPELLING.get(cut.op_type, cut.op_type))
    recorded = next((c for c in probe.left_tensorflow if c.line == cut.line), None)
    missing, total = len(probe.paths_in_state("none")), len(probe.gradients)
    layer = layer_for_scope(fit, cut.layer_scope)
    function, _ = _enclosing_function(ctx.source.tree, cut.line)
    evidence = {"construct": api, "op": cut.op_type, "op_name": cut.op_name, "function": function,
                "wrapped": recorded.func if recorded else None,
                "variables_without_gradient": missing, "trainable_variables": total}
    return RULE.finding(
        f"`{api}` takes the value out of TensorFlow, so {missing} of {total} trainable variables "
        "get no gradient through it",
        line=cut.line, layer=layer, evidence=evidence,
        notes=[_EAGER_NOTE if cut.op_type == "EagerNumpy"
               else f"op `{cut.op_name}` ({cut.op_type}) runs Python code; TensorFlow has no gradient for it"],
        help="write the computation with `keras.ops` or `tf` ops so that TensorFlow can differentiate it",
        fixes=[fix for fix in [_function_rest_fix(ctx, cut.line) if cut.op_type == "EagerNumpy"
                               else _unwrap_fix(ctx, cut.line)] if fix],
    )


_EAGER_NOTE = ("with `run_eagerly=True` the tensor has a value, but `.numpy()` copies it into a NumPy array "
               "that the `GradientTape` cannot follow: everything computed from it is a constant")


def _function_rest_fix(ctx: RuleContext, line: int | None) -> Fix | None:
    """Keep the value in TensorFlow from ``line`` to the end of its function (``.numpy()`` -> tensor,
    NumPy calls -> ``keras.ops``)."""
    kept = keep_in_tensorflow_to_function_end(ctx.source.text, line) if line is not None else None
    if kept is None:
        return None
    return make_fix("keep-in-tensorflow",
                    f"keep the value in TensorFlow from line {line} on: " + ", ".join(kept.changes), "review",
                    ctx.source.text, kept.source, "TensorFlow ops keep the value on the tape, so the gradient flows")


def _unknown_shape_finding(ctx: RuleContext, call) -> Finding:
    error = ctx.fit.probe.error
    function, owner = _enclosing_function(ctx.source.tree, call.line)
    evidence = {"construct": f"tf.{call.api}", "wrapped": call.func, "function": function,
                "where": _where(ctx, function), "exception_type": error.type, "exception_message": error.message}
    return RULE.finding(
        f"`tf.{call.api}` returns a tensor of unknown shape and no gradient; Keras cannot use it in "
        f"{'the loss' if evidence['where'] == 'loss' else 'training'}",
        line=call.line, layer=_layer_of(ctx, owner, function), evidence=evidence,
        notes=[f"tracing the step raised {code_span(f'{error.type}: {error.message}')}",
               f"`tf.{call.api}` runs Python code: TensorFlow knows neither its output shape nor its gradient"],
        help="write the computation with `keras.ops` or `tf` ops so that TensorFlow can differentiate it",
        fixes=[fix for fix in [_unwrap_fix(ctx, call.line)] if fix],
    )


# -- fixes -----------------------------------------------------------------------------------

def _line_fix(ctx: RuleContext, line: int | None) -> Fix | None:
    """Keep the value in TensorFlow on ``line``: NumPy -> ``keras.ops``, drop ``.numpy()``/``float()``."""
    kept = keep_in_tensorflow_on_line(ctx.source.text, line) if line is not None else None
    if kept is None:
        return None
    return make_fix("keep-in-tensorflow", f"keep the value in TensorFlow on line {line}: " + ", ".join(kept.changes),
                    "safe" if kept.exact else "review", ctx.source.text, kept.source,
                    "TensorFlow ops work on symbolic tensors and keep the gradient")


def _unwrap_fix(ctx: RuleContext, line: int | None) -> Fix | None:
    """``tf.numpy_function(np.tanh, [x], tf.float32)`` -> ``keras.ops.tanh(x)``."""
    unwrapped = unwrap_numpy_function(ctx.source.text, line) if line is not None else None
    if unwrapped is None:
        return None
    return make_fix("unwrap-numpy-function", f"call `{unwrapped.op}` on the tensors instead of wrapping it "
                    f"(line {line})", "review", ctx.source.text, unwrapped.source,
                    "the TensorFlow op computes the same values and has a gradient; check the output dtype")


RULE = Rule(code="GM004", name="leaves-tensorflow", severity="error", detect=detect, doc=__doc__)
