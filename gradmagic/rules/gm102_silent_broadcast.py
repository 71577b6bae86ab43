"""GM102 silent-broadcast: target `(N,)` against output `(N, 1)` (or similar) broadcasts to `(N, N)` inside the loss.

## What it does
Evaluates a custom `keras.losses.Loss` on the first batch twice: with the targets as `fit`
gets them and with the targets reshaped to the output's shape. When the two values differ,
the loss broadcast `(N,)` against `(N, 1)` into an `(N, N)` table.

## Why is this bad?
Keras 3 aligns `(N,)` and `(N, 1)` for its built-in losses and for plain loss functions, but
not inside the `call` of a `keras.losses.Loss` subclass. There `y_true - y_pred` compares
every target with every prediction; training runs, the loss goes down a little, and the model
learns to predict the mean.

## Example
```python
class SquaredError(keras.losses.Loss):
    def call(self, y_true, y_pred):
        return keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)

y = x @ w                       # shape (N,)
model.compile(optimizer="adam", loss=SquaredError())
model.fit(x, y)                 # the output is (N, 1)
```

## Use instead
```python
y = y.reshape(-1, 1)
```
or align the shapes inside the loss with `keras.ops.reshape(y_true, keras.ops.shape(y_pred))`.

## Fix safety
`review`: reshaping the targets changes the array for every later use; reshaping inside the
loss is local to the loss.
"""

from __future__ import annotations

import ast
from typing import Iterable

from gradmagic.evidence.facts.preflight import OutputCheck
from gradmagic.fixes.data import insert_data_lines
from gradmagic.fixes.losses import reshape_targets_in_loss
from gradmagic.report.model import Finding, Fix
from gradmagic.rules._preflight_common import Editor, heads, ranked
from gradmagic.rules.base import Rule, RuleContext


def _shape(shape, rows: int) -> str:
    """``(16, 1)`` -> ``(N, 1)``: batch-sized dimensions read as N."""
    dims = ["N" if d == rows else str(d) for d in shape]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def detect(ctx: RuleContext) -> Iterable[Finding]:
    editor = Editor(ctx)
    probe = ctx.fit.probe
    if probe is not None and probe.broadcasts:
        yield _in_train_step(editor, probe.broadcasts[0])
        return
    for head in heads(ctx):
        found = head.broadcast
        if not found:
            continue
        targets = head.targets
        line = targets.line if targets is not None and targets.line else ctx.fit.line
        rows = found["target_shape"][0]
        yield RULE.finding(
            f"targets of shape {_shape(found['target_shape'], rows)} against outputs of shape "
            f"{_shape(found['output_shape'], rows)} broadcast to {_shape(found['broadcast_shape'], rows)} inside "
            f"`{head.loss.spelled}`",
            line=line,
            layer=head.units_layer.name if head.units_layer else head.layer,
            evidence={
                "target_shape": list(found["target_shape"]),
                "output_shape": list(found["output_shape"]),
                "broadcast_shape": list(found["broadcast_shape"]),
                "loss_as_written": found["loss_as_written"],
                "loss_with_aligned_targets": found["loss_aligned"],
                "loss": head.loss.spelled,
                "batch_rows": rows,
            },
            notes=[
                f"on the first batch the loss is {found['loss_as_written']} as written and "
                f"{found['loss_aligned']} with the targets reshaped to the output: every target is "
                "compared with every prediction",
                "Keras aligns `(N,)` and `(N, 1)` only for built-in losses and plain loss functions",
            ],
            help=f"give the targets the output's shape {_shape(found['output_shape'], rows)}",
            fixes=_fixes(editor, head),
        )


def _in_train_step(editor: Editor, found) -> Finding:
    """``y - y_pred`` in a custom ``train_step`` with ``y`` of shape ``(N,)`` and ``y_pred`` ``(N, 1)``."""
    flat, column = sorted([found.left_shape, found.right_shape], key=len)
    text = editor.ctx.source.line_text(found.line).strip()
    fixes: list[Fix | None] = []
    preflight = editor.ctx.fit.preflight
    targets = next((stats for stats in (preflight.targets if preflight else [])), None)
    origin = targets.origin if targets is not None else None
    if origin is not None and origin.editable and targets is not None and len(targets.shape) == 1:
        patched = insert_data_lines(editor.source, origin.line, f"{origin.name} = {origin.name}.reshape(-1, 1)")
        fixes.append(editor.fix("reshape-targets", f"reshape `{origin.name}` to a column after line {origin.line}",
                                patched, "each target then meets its own prediction in the step"))
    return RULE.finding(
        f"`{text}` pairs a batch vector (N,) with a batch column (N, 1): the result is an (N, N) table, "
        "every target against every prediction",
        line=found.line,
        evidence={"op": found.op_type, "shapes": [found.left_shape, found.right_shape], "where": "train_step"},
        notes=["in a custom `train_step` nothing aligns the shapes: the loss is the mean over N * N pairs, "
               "training runs and the model learns the mean of the targets"],
        help="give the targets the output's shape: `y = tf.reshape(y, tf.shape(y_pred))` in the step, "
             "or reshape the array to a column before `fit`",
        fixes=ranked(*fixes),
    )


def _fixes(editor: Editor, head: OutputCheck) -> list[Fix]:
    found = head.broadcast or {}
    fixes: list[Fix | None] = []
    targets = head.targets
    origin = targets.origin if targets else None
    if origin is not None and origin.editable:
        shape = "-1, 1" if len(found.get("output_shape", ())) == 2 else "-1"
        patched = insert_data_lines(editor.source, origin.line, f"{origin.name} = {origin.name}.reshape({shape})")
        fixes.append(editor.fix("reshape-targets", f"reshape `{origin.name}` to the output's shape after line "
                                f"{origin.line}", patched,
                                "each target then meets its own prediction in the loss"))
    fixes.append(_reshape_in_loss(editor, head.loss.spelled))
    return ranked(*fixes)


def _reshape_in_loss(editor: Editor, class_name: str) -> Fix | None:
    tree = editor.ctx.source.tree
    if tree is None:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            call = next((f for f in node.body if isinstance(f, ast.FunctionDef) and f.name == "call"), None)
            if call is None or len(call.args.args) < 3 or not call.body:
                return None
            y_true, y_pred = call.args.args[1].arg, call.args.args[2].arg
            body = call.body
            first = body[1] if len(body) > 1 and isinstance(body[0], ast.Expr) and \
                isinstance(getattr(body[0], "value", None), ast.Constant) else body[0]
            patched = reshape_targets_in_loss(editor.source, first.lineno, y_true, y_pred)
            return editor.fix("reshape-in-loss", f"reshape `{y_true}` to `{y_pred}`'s shape in `{class_name}.call`",
                              patched, "the loss then compares each target with its own prediction, for any data")
    return None


RULE = Rule(code="GM102", name="silent-broadcast", severity="error", detect=detect, doc=__doc__)
