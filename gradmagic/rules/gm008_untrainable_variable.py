"""GM008 untrainable-variable: a variable that cannot be trained: integer dtype, a raw `tf.Variable` that Keras 3 does not track, a variable not reachable from any output.

## What it does
Looks for weights that the optimizer can never change:
- a raw `tf.Variable` stored on a layer (`self.scale = tf.Variable(1.0)`): Keras 3 tracks
  only variables made with `self.add_weight`, so it is not in `trainable_variables` (one made with
  `trainable=False` counts too when the model has no other weight to train);
- a trainable variable with an integer dtype (`add_weight(..., dtype="int32")`): integers
  carry no gradient;
- a variable whose layer is computed but whose value reaches neither the model's outputs
  nor the loss (e.g. a branch of a subclassed `call` that is thrown away).

## Why is this bad?
These weights keep their initial values for ever. Keras does not say so for a raw
`tf.Variable` at all; for the other two it only warns (`Gradients do not exist for
variables ...`), or raises `No gradients provided for any variable` (GM001) when no other
weight is left to train.

## Example
```python
class Scale(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.scale = tf.Variable(1.0)

    def call(self, inputs):
        return inputs * self.scale
```

## Use instead
```python
        self.scale = self.add_weight(shape=(), initializer=keras.initializers.Constant(1.0))
```
and a floating dtype (`dtype="float32"`) for any weight that must learn.

## Fix safety
Replacing `tf.Variable(...)` by `self.add_weight(...)` is `safe` when the initial value is
a number or `zeros`/`ones` of a shape (the same start, now tracked), `review` otherwise.
Changing an integer dtype to `float32` is `review`: the values stop being whole numbers.
An unreachable variable has no fix: where its value should go is the user's design.
"""

from __future__ import annotations

import ast
from typing import Iterable

from gradmagic.evidence.facts.model import UntrackedVariable, VariableInfo
from gradmagic.fixes import make_fix
from gradmagic.fixes.weights import float_dtype, variable_to_add_weight
from gradmagic.report.model import Finding, Fix
from gradmagic.rules._shared import (
    find_class,
    layer_class_chain,
    layer_line,
    span_of,
)
from gradmagic.rules.base import Rule, RuleContext

INTEGER_DTYPES = ("int", "uint", "bool")


def detect(ctx: RuleContext) -> Iterable[Finding]:
    fit = ctx.fit
    info = fit.model_info
    tracked = len(info.trainable_variables())
    for untracked in info.untracked:
        # a raw variable marked untrainable is state, unless it is all the model has to learn
        if (untracked.trainable or tracked == 0) and untracked.dtype.startswith(("float", "bfloat", "half")):
            yield _untracked_finding(ctx, untracked, tracked)
    integers = [v for v in info.trainable_variables() if v.dtype.startswith(INTEGER_DTYPES)]
    for variable in integers:
        yield _integer_finding(ctx, variable, tracked)
    yield from _unreachable_findings(ctx, {v.path for v in integers}, tracked)


# -- raw tf.Variable -------------------------------------------------------------------------
def _untracked_finding(ctx: RuleContext, untracked: UntrackedVariable, tracked: int) -> Finding:
    class_name, line = _assignment_line(ctx, untracked)
    shape = "scalar" if not untracked.shape else f"shape {untracked.shape}"
    return RULE.finding(
        f"`self.{untracked.attribute}` of layer `{untracked.layer}` is a raw `tf.Variable` ({shape}): "
        f"Keras 3 does not track it, so it is not among the model's {tracked} trainable variables "
        "and never learns",
        line=line,
        layer=untracked.layer,
        severity="error" if tracked == 0 else "warning",
        evidence={"attribute": untracked.attribute, "class": class_name, "dtype": untracked.dtype,
                  "shape": list(untracked.shape), "tracked_trainable_variables": tracked},
        notes=["Keras 3 layers track only weights created with `self.add_weight`; a `tf.Variable` attribute is "
               "neither trained nor saved"],
        help=f"create it with `self.add_weight(...)` in `{class_name}`",
        fixes=_add_weight_fix(ctx, line, untracked),
        span=span_of(ctx.source.line_text(line), ("Variable",)),
        label="Keras does not track this variable",
    )


def _assignment_line(ctx: RuleContext, untracked: UntrackedVariable) -> tuple[str, int | None]:
    """The class and line where ``self.<attribute> = ...`` is written."""
    attribute = untracked.attribute.split("[", 1)[0]
    for name in layer_class_chain(ctx.fit, untracked.layer) or [untracked.class_name]:
        node = find_class(ctx.source.tree, name)
        if node is None:
            continue
        for statement in ast.walk(node):
            targets = statement.targets if isinstance(statement, ast.Assign) else (
                [statement.target] if isinstance(statement, ast.AnnAssign) else [])
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr == attribute and \
                        isinstance(target.value, ast.Name) and target.value.id == "self":
                    return name, statement.lineno
    return untracked.class_name, layer_line(ctx.fit, untracked.layer)


def _add_weight_fix(ctx: RuleContext, line: int | None, untracked: UntrackedVariable) -> list[Fix]:
    if line is None:
        return []
    source = ctx.source.text
    rewritten = variable_to_add_weight(source, line, tuple(untracked.shape), keep_trainable=untracked.trainable)
    if rewritten is None:
        return []
    fix = make_fix("use-add-weight", "create the weight with `self.add_weight(...)`",
                   "safe" if rewritten.exact else "review", source, rewritten.source,
                   "Keras 3 tracks and trains weights made by `add_weight`")
    return [fix] if fix else []


# -- integer dtype ---------------------------------------------------------------------------
def _integer_finding(ctx: RuleContext, variable: VariableInfo, tracked: int) -> Finding:
    class_name, line = _add_weight_line(ctx, variable)
    return RULE.finding(
        f"trainable variable `{variable.path}` has dtype `{variable.dtype}`: integers carry no gradient, "
        "so it never learns",
        line=line,
        layer=variable.layer,
        severity="error" if tracked == 1 else "warning",
        evidence={"variable": variable.path, "dtype": variable.dtype, "shape": list(variable.shape),
                  "trainable_variables": tracked},
        help='give it a floating dtype (`dtype="float32"`), or `trainable=False` if it is a counter',
        fixes=_dtype_fix(ctx, line),
        span=span_of(ctx.source.line_text(line), ("add_weight",)),
        label=f"`{variable.dtype}`: integers carry no gradient",
    )


def _add_weight_line(ctx: RuleContext, variable: VariableInfo) -> tuple[str, int | None]:
    """The ``add_weight(..., dtype=<integer>)`` call in the owning layer's class."""
    for name in layer_class_chain(ctx.fit, variable.layer):
        node = find_class(ctx.source.tree, name)
        if node is None:
            continue
        for call in ast.walk(node):
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and \
                    call.func.attr == "add_weight":
                dtype = next((k.value for k in call.keywords if k.arg == "dtype"), None)
                if dtype is not None and any(word in ast.unparse(dtype) for word in INTEGER_DTYPES):
                    return name, call.lineno
    return variable.layer or "", layer_line(ctx.fit, variable.layer)


def _dtype_fix(ctx: RuleContext, line: int | None) -> list[Fix]:
    if line is None:
        return []
    source = ctx.source.text
    patched = float_dtype(source, line)
    fix = make_fix("float-dtype", f'make the weight on line {line} `dtype="float32"`', "review", source, patched,
                   "floating-point weights receive gradients")
    return [fix] if fix else []


# -- unreachable -----------------------------------------------------------------------------
def _unreachable_findings(ctx: RuleContext, skip: set[str], tracked: int) -> Iterable[Finding]:
    fit = ctx.fit
    probe = fit.probe
    if probe is None or not probe.unreachable:
        return
    for traced in fit.model_info.traced_calls:  # GM010 explains these
        skip |= set(traced.variable_paths)
    paths = [path for path in probe.unreachable if path not in skip]
    by_layer: dict[str | None, list[str]] = {}
    owners = {v.path: v.layer for v in fit.model_info.variables}
    for path in paths:
        by_layer.setdefault(owners.get(path), []).append(path)
    for layer, owned in by_layer.items():
        attribute, line = _call_site(ctx, layer)
        named = f"`{layer}` (`self.{attribute}`)" if attribute else f"`{layer}`"
        yield RULE.finding(
            f"the output of layer {named} reaches neither the model's outputs nor the loss: "
            f"its {len(owned)} variable(s) never get a gradient",
            line=line or layer_line(fit, layer),
            layer=layer,
            severity="error" if len(paths) >= tracked else "warning",
            evidence={"variables": owned, "trainable_variables": tracked},
            help=f"use the output of {named} in what `call` returns, or remove the layer",
            span=span_of(ctx.source.line_text(line), (attribute,)) if attribute and line else None,
            label="its output is not used" if attribute and line else None,
        )


def _call_site(ctx: RuleContext, layer_name: str | None) -> tuple[str | None, int | None]:
    """The attribute holding the layer in the model and the line of ``call`` that calls it."""
    attribute = next((name for name, held in ctx.fit.model_info.layer_attributes if held == layer_name), None)
    if attribute is None:
        return None, None
    for class_name in layer_class_chain(ctx.fit, ctx.fit.model_info.name):
        node = find_class(ctx.source.tree, class_name)
        method = next((m for m in (node.body if node else []) if isinstance(m, ast.FunctionDef) and m.name == "call"),
                      None)
        if method is None:
            continue
        for call in ast.walk(method):
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == attribute \
                    and isinstance(call.func.value, ast.Name) and call.func.value.id == "self":
                return attribute, call.lineno
    return attribute, None


RULE = Rule(code="GM008", name="untrainable-variable", severity="error", detect=detect, doc=__doc__)
