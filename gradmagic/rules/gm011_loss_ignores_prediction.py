"""GM011 loss-ignores-prediction: the loss value does not depend on the model's output (built from `y_true` only, or from a constant).

## What it does
Traces the compiled training step and follows the value path from each model output
(`y_pred`) to the loss. Fires when no value path exists: the loss is computed from the
targets only, is a constant, or reads `y_pred` only through its shape (`tf.shape`,
`tf.zeros_like`). A path cut by a non-differentiable op (GM003) or an op that leaves
TensorFlow (GM004) is a path, and is reported by those codes instead.

## Why is this bad?
Whatever the weights do, the loss stays the same: its gradient with respect to every
weight is `None`. Keras raises `No gradients provided for any variable` (GM001) or, when a
regulariser still reaches some weights, trains only the regulariser.

## Example
```python
def centred_mse(y_true, y_pred):
    return tf.reduce_mean(tf.square(y_true - tf.reduce_mean(y_true)))   # y_true where y_pred was meant
model.compile(optimizer="adam", loss=centred_mse)
```

## Use instead
```python
def centred_mse(y_true, y_pred):
    return tf.reduce_mean(tf.square(y_true - y_pred))
# or a built-in loss that fits the output:
model.compile(optimizer="adam", loss="mse")
```

## Fix safety
`review`: the fix trains with the built-in loss that fits the output activation and the
targets, which may not be what the custom loss meant to compute. Which `y_true` was meant
to be `y_pred` is not mechanical: correct the loss function by hand to keep it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from gradmagic.evidence.facts.compiled import LossEntry
from gradmagic.fixes import make_fix
from gradmagic.fixes.losses import set_compile_loss
from gradmagic.report.model import Finding, Fix
from gradmagic.rules._shared import (
    compile_loss_line,
    own_nodes,
    suggested_loss,
)
from gradmagic.rules.base import Rule, RuleContext


def detect(ctx: RuleContext) -> Iterable[Finding]:
    fit = ctx.fit
    probe = fit.probe
    if probe is None or probe.mode != "compile" or probe.loss_reads_prediction is not False:
        return
    if fit.custom_train_step or not fit.loss.given or not probe.paths_in_state("none"):
        return  # every weight gets a gradient: the loss reads the output somewhere the walk did not see
    losses = fit.loss.present()
    if not losses or any(loss.metric_like for loss in losses):
        return  # a metric object as the loss: GM003 explains it
    loss = next((item for item in losses if item.text is None), losses[0])
    name = loss.name
    node, params = _function_node(ctx, loss)
    line = _return_line(node) or compile_loss_line(ctx.source.tree)
    prediction = params[1] if len(params) > 1 else None
    uses = _uses(node, prediction)
    notes = [_how(prediction, uses)] if prediction else []
    missing = probe.paths_in_state("none")
    if missing:
        notes.append(f"{len(missing)} of {len(probe.gradients)} trainable variables get no gradient from it")
    evidence = {"loss": name, "outputs": len(probe.outputs_read), "outputs_read_by_loss": sum(probe.outputs_read),
                "loss_value": probe.loss, "variables_without_gradient": len(missing),
                "trainable_variables": len(probe.gradients), "prediction_uses": uses}
    fixes = _fixes(ctx)
    yield RULE.finding(
        f"the loss `{name}` does not depend on the model's output"
        + (f" `{prediction}`" if prediction else "") + ", so no weight can change it",
        line=line,
        evidence=evidence,
        notes=notes,
        help=(f"compute the loss from `{prediction}` (the model's output) and the targets"
              if prediction else "compute the loss from the model's output and the targets")
        + ", e.g. `tf.reduce_mean(tf.square(y_true - y_pred))`, or use a built-in loss",
        fixes=fixes,
    )


def _function_node(ctx: RuleContext, loss: LossEntry) -> tuple[ast.AST | None, list[str]]:
    """The loss function (``def`` or ``lambda``) in the checked source, and its parameter names."""
    tree = ctx.source.tree
    if loss.code_file is None or tree is None or not ctx.source.is_ours(loss.code_file):
        return None, []
    first = loss.code_line
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == loss.code_name and (
                node.lineno == first or any(d.lineno == first for d in node.decorator_list)):
            params = [a.arg for a in node.args.posonlyargs + node.args.args]
            return node, [p for p in params if p != "self"]
    for node in ast.walk(tree):
        if isinstance(node, ast.Lambda) and node.lineno == first and loss.code_name == "<lambda>":
            return node, [a.arg for a in node.args.args]
    return None, []


def _return_line(node: ast.AST | None) -> int | None:
    if node is None:
        return None
    if isinstance(node, ast.Lambda):
        return node.body.lineno
    returns = [n for n in own_nodes(node) if isinstance(n, ast.Return) and n.value is not None]
    return max(r.lineno for r in returns) if returns else node.lineno


def _uses(node: ast.AST | None, prediction: str | None) -> list[str]:
    """How the function reads its prediction argument: the calls it is passed to (``tf.shape``), or ``name``."""
    if node is None or prediction is None:
        return []
    found: list[str] = []
    parents = {child: parent for parent in ast.walk(node) for child in ast.iter_child_nodes(parent)}
    for name in ast.walk(node):
        if isinstance(name, ast.Name) and name.id == prediction and isinstance(name.ctx, ast.Load):
            parent = parents.get(name)
            text = ast.unparse(parent.func) if isinstance(parent, ast.Call) and name in parent.args else "name"
            if text not in found:
                found.append(text)
    return found


def _how(prediction: str, uses: list[str]) -> str:
    if not uses:
        return f"the loss function never reads `{prediction}`"
    calls = ", ".join(f"`{u}`" for u in uses if u != "name")
    if calls:
        return f"`{prediction}` is read only through {calls}, which describe its shape, not its values"
    return f"`{prediction}` is read, but none of its values reach the returned loss"


def _fixes(ctx: RuleContext) -> list[Fix]:
    if ctx.fit.loss.structure == "single":
        source = ctx.source.text
        loss_code = suggested_loss(ctx.fit)
        patched = set_compile_loss(source, loss_code)
        fix = make_fix("builtin-loss", f"train with `loss={loss_code}` instead", "review", source, patched,
                       "a built-in loss that compares the output with the targets, fitting the output activation")
        if fix is not None:
            return [fix]
    return []


RULE = Rule(code="GM011", name="loss-ignores-prediction", severity="error", detect=detect, doc=__doc__)
