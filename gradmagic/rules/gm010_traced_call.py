"""GM010 traced-call: a subclassed model/layer whose `call` is decorated with `@tf.function` under Keras 3, which disconnects every variable.

## What it does
Finds layers and subclassed models whose class wraps `call` in `@tf.function`, and
reports them when the variables they own get no gradient: a trace of `call` that reads
none of them, a `None` gradient in the probe, or Keras's own `No gradients` error. A
decorated `call` whose traces read the layer's weights (weights made in `build` before the
first call) is not reported.

## Why is this bad?
Keras 3 first calls `call` symbolically while it builds the model, so the `tf.function`
is traced before the weights exist. The sublayers create their weights inside that trace,
and the traced `call` keeps computing each weight from its initializer instead of reading
the variable: the loss does not depend on any of them. Keras raises
`No gradients provided for any variable` (GM001), or, for a layer inside a larger model,
silently trains only the rest (GM002).

## Example
```python
class Regressor(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = keras.layers.Dense(8, activation="relu")
        self.out = keras.layers.Dense(1)

    @tf.function
    def call(self, inputs):
        return self.out(self.hidden(inputs))
```

## Use instead
A plain `def call(self, inputs):`. `fit` already compiles the whole training step into a
graph; `jit_compile=True` in `compile()` asks for XLA.

## Fix safety
`safe`: removing the decorator keeps what `call` computes; Keras still runs it as a graph
inside `fit`.
"""

from __future__ import annotations

import ast
from typing import Iterable

from gradmagic.fixes import cst as cst_edit
from gradmagic.fixes import make_fix
from gradmagic.report.model import Finding, Fix
from gradmagic.rules._shared import find_class, layer_class_chain
from gradmagic.rules.base import Rule, RuleContext

DECORATORS = ("tf.function", "function", "tensorflow.function")
KERAS_NO_GRADIENTS = "No gradients provided for any variable"


def detect(ctx: RuleContext) -> Iterable[Finding]:
    fit = ctx.fit
    probe = fit.probe
    raised = fit.exception is not None and KERAS_NO_GRADIENTS in fit.exception.message
    without = set(probe.paths_in_state("none")) if probe else set()
    trainable = {v.path for v in fit.model_info.trainable_variables()}
    total = len(trainable)
    for traced in fit.model_info.traced_calls:
        owned = [path for path in traced.variable_paths if path in trainable]
        cut = [path for path in owned if path in without]
        if not owned or not (cut or traced.blind_traces or raised):
            continue
        disconnected = len(cut) if cut else len(owned)
        class_name, line = _decorator_line(ctx, traced.layer, traced.class_name)
        what = "model" if traced.layer == fit.model_info.name else "layer"
        yield RULE.finding(
            f"`{class_name}.call` is wrapped in `@tf.function`: {disconnected} of {total} trainable "
            f"variables of {what} `{traced.layer}` get no gradient",
            line=line,
            layer=traced.layer,
            severity="error" if disconnected >= total else "warning",
            evidence={"class": class_name, "variables_without_gradient": disconnected,
                      "trainable_variables": total, "traces": traced.traces,
                      "traces_reading_no_variable": traced.blind_traces, "keras_raised": raised},
            notes=[f"Keras 3 traces the decorated `call` while it builds the model; {traced.blind_traces} of its "
                   f"{traced.traces} trace(s) read no variable and use the weights' initial values instead"
                   if traced.blind_traces else
                   "the gradient probe found no gradient for these variables through the decorated `call`"],
            help="remove `@tf.function` from `call`; `fit` already runs the training step as a graph",
            fixes=_fixes(ctx, line),
            span=_decorator_span(ctx.source.line_text(line)),
            label=("its trace keeps the weights' initial values" if traced.blind_traces
                   else "no gradient reaches the weights through this"),
        )


def _decorator_line(ctx: RuleContext, layer: str, class_name: str) -> tuple[str, int | None]:
    """The class that defines the decorated ``call`` and the line of its decorator."""
    for name in layer_class_chain(ctx.fit, layer) or [class_name]:
        node = find_class(ctx.source.tree, name)
        if node is None:
            continue
        for statement in node.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and statement.name == "call":
                for decorator in statement.decorator_list:
                    target = decorator.func if isinstance(decorator, ast.Call) else decorator
                    if ast.unparse(target) in DECORATORS:
                        return name, decorator.lineno
                return name, statement.lineno
    return class_name, None


def _decorator_span(text: str) -> list[int] | None:
    start = text.find("@")
    return [start, len(text.rstrip())] if start >= 0 else None


def _fixes(ctx: RuleContext, line: int | None) -> list[Fix]:
    source = ctx.source.text
    patched = cst_edit.remove_decorator(source, "call", DECORATORS)
    fix = make_fix("remove-tf-function", "remove `@tf.function` from `call`" + (f" (line {line})" if line else ""),
                   "safe", source, patched, "Keras 3 compiles the training step itself")
    return [fix] if fix else []


RULE = Rule(code="GM010", name="traced-call", severity="error", detect=detect, doc=__doc__)
