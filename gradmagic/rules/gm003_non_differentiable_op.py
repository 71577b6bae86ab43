"""GM003 non-differentiable-op: an op with no gradient sits between the weights and the loss.

## What it does
Walks the traced training step from each trainable variable to the loss and reports the
first op on the path that TensorFlow cannot differentiate: `argmax`/`argmin`, `round`,
casts to an integer or bool, comparisons, `tf.where` with constant branches, `top_k`
indices, `stop_gradient`, a variable assignment, or a `keras.metrics` object used as a loss.

## Why is this bad?
The gradient of the loss with respect to every weight behind that op is `None`: Keras
raises `No gradients provided for any variable` (GM001) or silently leaves those layers
untrained (GM002).

## Example
```python
def accuracy_loss(y_true, y_pred):
    hits = tf.equal(tf.argmax(y_pred, axis=-1), tf.cast(y_true, tf.int64))
    return 1.0 - tf.reduce_mean(tf.cast(hits, tf.float32))
model.compile(optimizer="adam", loss=accuracy_loss)
```

## Use instead
A differentiable surrogate: `loss="sparse_categorical_crossentropy"` (or with
`from_logits=True` for a linear output). Keep accuracy as a metric.

## Fix safety
`review`: replacing the loss or removing `stop_gradient`/`round` changes what is optimised;
a `keras.metrics` object replaced by the `keras.losses` class of the same name is `safe`.
"""

from __future__ import annotations

from typing import Iterable

from gradmagic.evidence.facts.compiled import LossEntry
from gradmagic.fixes import cst as cst_edit
from gradmagic.fixes import make_fix, surrogates
from gradmagic.fixes.losses import metric_to_loss, set_compile_loss
from gradmagic.report.model import Finding, Fix
from gradmagic.rules._shared import (
    compile_loss_line,
    layer_for_scope,
    op_spelling,
    span_of,
    suggested_loss,
    written_spelling,
)
from gradmagic.rules.base import Rule, RuleContext

OP_CALL_NAMES = {
    "ArgMax": ("argmax",), "ArgMin": ("argmin",), "Round": ("round",), "Floor": ("floor",),
    "Ceil": ("ceil",), "StopGradient": ("stop_gradient",), "Cast": ("cast",), "Equal": ("equal",),
    "NotEqual": ("not_equal",), "TopKV2": ("top_k", "argsort"), "SelectV2": ("where",), "Sign": ("sign",),
    "Greater": ("greater",), "Less": ("less",), "GreaterEqual": ("greater_equal",), "LessEqual": ("less_equal",),
}
STRAIGHT_THROUGH = {"Round": ("round",), "Floor": ("floor",), "Ceil": ("ceil",), "Sign": ("sign",)}
UNWRAPPABLE = {"StopGradient": ("stop_gradient",), "Round": ("round",), "Floor": ("floor",),
               "Ceil": ("ceil",)}


def detect(ctx: RuleContext) -> Iterable[Finding]:
    fit = ctx.fit
    metric = next((entry for entry in fit.loss.entries if entry.is_metric), None)
    if metric is not None:
        yield _metric_finding(ctx, metric)
    probe = fit.probe
    if probe is None or not probe.paths_in_state("none"):
        return
    for cut in probe.cuts:
        if cut.reason == "leaves-tensorflow":
            continue
        if metric is not None and (cut.line is None or cut.op_name.startswith("compile_loss/")):
            continue  # the metric object's own update: the metric finding above says it
        layer = layer_for_scope(fit, cut.layer_scope)
        spelled = written_spelling(ctx.source.line_text(cut.line), OP_CALL_NAMES.get(cut.op_type, ())) \
            or op_spelling(cut.op_type)
        fixes = [fix for fix in _fixes(ctx, cut.op_type, cut.line, layer) if fix]
        why = (f"its output is `{cut.output_dtype}`, and integers carry no gradient"
               if cut.reason == "integer-output" else "TensorFlow defines no gradient for it")
        yield RULE.finding(
            f"{spelled} cuts the gradient between the weights and the loss",
            line=cut.line,
            layer=layer,
            evidence={"op": cut.op_type, "op_name": cut.op_name, "input_dtype": cut.input_dtype,
                      "output_dtype": cut.output_dtype, "reason": cut.reason},
            notes=[f"op `{cut.op_name}` ({cut.op_type}): {why}"]
            + ([] if fixes else ["no mechanical rewrite keeps what this code computes: change it by hand"]),
            help=_help(cut.op_type, in_loss=layer is None),
            fixes=fixes,
            span=span_of(ctx.source.line_text(cut.line), OP_CALL_NAMES.get(cut.op_type, ())),
            label=(f"returns `{cut.output_dtype}`: no gradient flows back through it"
                   if cut.reason == "integer-output" else "no gradient flows back through this"),
        )


def _help(op_type: str, in_loss: bool) -> str:
    if op_type == "StopGradient":
        return "remove `tf.stop_gradient` if the weights before it should learn"
    if in_loss:
        return ("use a differentiable loss such as cross-entropy on the probabilities; "
                "keep accuracy-style computations as metrics")
    return f"replace {op_spelling(op_type)} with a differentiable operation, or move it out of the training path"


def _fixes(ctx: RuleContext, op_type: str, line: int | None, layer: str | None) -> list[Fix | None]:
    source = ctx.source.text
    fixes: list[Fix | None] = []
    in_layer = layer is not None or _in_layer_call(ctx, line)
    if op_type in STRAIGHT_THROUGH and line is not None and in_layer:
        patched = surrogates.straight_through_at(source, line, STRAIGHT_THROUGH[op_type])
        fixes.append(make_fix("straight-through", f"keep {op_spelling(op_type)} forward, pass the gradient "
                              f"straight through on line {line}", "review", source, patched,
                              "the straight-through estimator: same values forward, identity gradient backward"))
    if op_type == "ArgMax" and line is not None and layer is not None:
        patched = surrogates.soft_argmax_at(source, line)
        fixes.append(make_fix("soft-argmax", f"replace the argmax on line {line} by a softmax-weighted index",
                              "review", source, patched,
                              "a differentiable surrogate: close to the argmax when one score dominates"))
    if op_type in UNWRAPPABLE and line is not None:
        patched = cst_edit.unwrap_call_at(source, line, UNWRAPPABLE[op_type])
        fixes.append(make_fix("unwrap-op", f"remove {op_spelling(op_type)} on line {line}", "review",
                              source, patched, "lets the gradient flow through this expression"))
    if layer is None and not ctx.fit.custom_train_step:
        loss_code = suggested_loss(ctx.fit)
        patched = set_compile_loss(source, loss_code)
        fixes.append(make_fix("builtin-loss", f"train with `loss={loss_code}` instead", "review", source,
                              patched, "a built-in loss that fits the output activation and the targets"))
    return fixes


def _in_layer_call(ctx: RuleContext, line: int | None) -> bool:
    """Whether ``line`` is in the ``call`` method of a class: a layer's forward pass."""
    import ast

    tree = ctx.source.tree
    if tree is None or line is None:
        return False
    return any(isinstance(node, ast.FunctionDef) and node.name == "call"
               and node.lineno <= line <= (node.end_lineno or node.lineno) for node in ast.walk(tree))


def _metric_finding(ctx: RuleContext, metric: LossEntry) -> Finding:
    class_name = metric.class_name
    source = ctx.source.text
    line = compile_loss_line(ctx.source.tree)
    fixes: list[Fix] = []
    if metric.loss_class_of_same_name:
        patched = metric_to_loss(source, class_name)
        fix = make_fix("metric-to-loss", f"use `keras.losses.{class_name}` instead of the metric", "safe",
                       source, patched, "the loss class of the same name computes the same value, differentiably")
        if fix:
            fixes.append(fix)
    return RULE.finding(
        f"`keras.metrics.{class_name}` is used as the loss; metrics accumulate state and have no gradient",
        line=line,
        evidence={"metric": class_name},
        help=f"pass `loss=keras.losses.{class_name}()`"
        if metric.loss_class_of_same_name else "pass a loss from `keras.losses`; keep the metric in `metrics=`",
        fixes=fixes,
    )


RULE = Rule(code="GM003", name="non-differentiable-op", severity="error", detect=detect, doc=__doc__)
