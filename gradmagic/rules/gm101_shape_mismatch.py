"""GM101 shape-mismatch: target and output shapes cannot be compared (e.g. targets with 10 columns, a `Dense(1)` output).

## What it does
Compares the shape of the targets `fit` gets with the shape of each model output, for the
loss compiled on that output. Fires when they differ in a way the loss cannot mean: 10
target columns against one output unit, `(N, 28, 28)` targets against `(N, 10)` outputs,
one-hot targets with 10 columns against 5 softmax units.

## Why is this bad?
Categorical and binary cross-entropy raise `Arguments target and output must have the same
shape` at the first step. Regression losses are worse: `mse` of `(N, 10)` targets against
a `(N, 1)` output broadcasts and trains without a word, fitting one number to ten targets.

## Example
```python
y = keras.utils.to_categorical(labels, 10)          # (N, 10)
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="categorical_crossentropy")
model.fit(x, y)
```

## Use instead
```python
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(10, activation="softmax")])
```

## Fix safety
`review`: the fix changes the number of output units (and, for cross-entropy on a linear
output, adds the softmax/sigmoid the loss expects); check it is the head you meant.
"""

from __future__ import annotations

from typing import Iterable

from gradmagic.evidence.facts.preflight import OutputCheck
from gradmagic.report.model import Finding, Fix
from gradmagic.rules._preflight_common import (
    Editor,
    head_label,
    heads,
    loss_spelling,
    ranked,
    reaches_targets,
    shapes_disagree,
)
from gradmagic.rules._shared import code_span
from gradmagic.rules.base import Rule, RuleContext


def _columns(shape: tuple | None) -> str:
    if shape is None:
        return "?"
    if len(shape) == 1:
        return "1 value per row"
    if len(shape) == 2:
        return f"{shape[1]} column{'s' if shape[1] != 1 else ''}"
    return f"shape {tuple(shape)}"


def detect(ctx: RuleContext) -> Iterable[Finding]:
    editor = Editor(ctx)
    for head in heads(ctx):
        if not shapes_disagree(head):
            continue
        targets = head.targets
        target_shape = tuple(targets.shape) if targets else None
        output_shape = tuple(head.output_shape or ())
        label = head_label(head, editor.head_count)
        if target_shape and len(target_shape) == 2 and len(output_shape) == 2:
            message = (f"targets have {target_shape[1]} columns but the model{label} outputs "
                       f"{output_shape[1]}")
        else:
            message = (f"targets{label} have {_columns(target_shape)} but the model outputs "
                       f"{_columns(output_shape)}")
        notes = [f"`{loss_spelling(head)}` compares targets and outputs element by element"]
        exception = ctx.fit.exception
        if exception is not None and "shape" in exception.message:
            notes.append(f"Keras raised {code_span(f'{exception.type}: {exception.message.splitlines()[0][:160]}')}")
        elif head.loss.family == "regression":
            notes.append("Keras does not raise here: the loss broadcasts one output against every target column")
        yield RULE.finding(
            message,
            line=editor.head_line(head),
            layer=head.units_layer.name if head.units_layer else head.layer,
            evidence={
                "target_shape": list(target_shape) if target_shape else None,
                "output_shape": list(output_shape),
                "target_columns": target_shape[-1] if target_shape and len(target_shape) > 1 else 1,
                "output_units": head.units,
                "loss": head.loss.name or head.loss.spelled,
                "target_encoding": head.target_kind,
                "output": head.key,
            },
            notes=notes,
            help=_help(head),
            fixes=_fixes(editor, head),
        )


def _activation_for(head: OutputCheck) -> str | None:
    """The activation the loss needs once the head has the right width, if it lacks it."""
    if head.loss.family in ("regression", "count") and head.target_kind == "continuous" \
            and not reaches_targets(head.activation, head.targets):
        return "linear"  # continuous targets the bounded activation cannot produce: a regression head
    if head.loss.from_logits or head.activation not in (None, "linear"):
        return None
    if head.loss.family == "categorical":
        return "softmax"
    if head.loss.family == "binary":
        return "sigmoid"
    return None


def _help(head: OutputCheck) -> str:
    targets = head.targets
    if targets is not None and len(targets.shape) == 2:
        return f"give the output layer {targets.shape[1]} units, one per target column"
    return "make the output layer produce one value per target value, or reshape the targets to the output"


def _fixes(editor: Editor, head: OutputCheck) -> list[Fix]:
    targets = head.targets
    if targets is None or len(targets.shape) != 2 or head.output_shape is None or len(head.output_shape) != 2:
        return []
    columns = int(targets.shape[1])
    activation = _activation_for(head)
    patched = editor.set_units(editor.source, head, columns)
    title = f"give the output layer {columns} units"
    if activation:
        patched = editor.set_activation(patched, head, activation)
        title += f' and `activation="{activation}"`'
    return ranked(editor.fix("match-units", title, patched,
                             f"the output gets one unit per target column, so `{loss_spelling(head)}` compares "
                             "like with like"))


RULE = Rule(code="GM101", name="shape-mismatch", severity="error", detect=detect, doc=__doc__)
