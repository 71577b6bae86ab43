"""GM103 degenerate-output: the loss is constant whatever the weights: categorical cross-entropy or softmax over a single unit.

## What it does
Fires for an output head with one unit whose loss is categorical (or sparse categorical)
cross-entropy, or whose activation is a softmax. Reports the loss measured on the first
batch and the outputs the head produces.

## Why is this bad?
Softmax over one unit is `exp(z) / exp(z) = 1.0` for every input, and categorical
cross-entropy normalises a single output to 1.0 as well: the loss is identically 0, no
gradient reaches the weights, and `fit` prints `loss: 0.0000` while nothing is learned. With
`binary_crossentropy` Keras trains on the logits before the softmax, so the loss moves, but
`predict` still returns 1.0 for every row.

## Example
```python
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="softmax")])
model.compile(optimizer="adam", loss="categorical_crossentropy")
model.fit(x, y_binary)      # loss: 0.0000, every epoch
```

## Use instead
```python
keras.layers.Dense(1, activation="sigmoid")   # with loss="binary_crossentropy"
keras.layers.Dense(2, activation="softmax")   # with loss="sparse_categorical_crossentropy"
```

## Fix safety
`review`: the fixes change the output layer and the loss; choose the one that matches the
task (two classes: sigmoid + binary cross-entropy; K classes: K softmax units).
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
    num,
    ranked,
    sigmoid_bce_fix,
    softmax_units_fix,
)
from gradmagic.rules.base import Rule, RuleContext


def degenerate(head: OutputCheck) -> bool:
    """One unit under a softmax, or under a categorical cross-entropy."""
    if head.units != 1:
        return False
    return head.activation == "softmax" or head.loss.family in ("categorical", "sparse")


def detect(ctx: RuleContext) -> Iterable[Finding]:
    editor = Editor(ctx)
    for head in heads(ctx):
        if not degenerate(head):
            continue
        label = head_label(head, editor.head_count)
        loss = loss_spelling(head)
        notes = []
        if head.activation == "softmax":
            why = "softmax over one unit is always 1.0"
        elif head.loss.family == "categorical":
            why = f"`{loss}` divides the single output by itself, which is always 1.0"
        else:
            why = f"`{loss}` over one unit knows a single class (id 0)"
        if head.loss.family in ("categorical", "sparse"):
            message = f"the loss{label} is identically 0 for any weights: {why}"
        else:
            message = f"the model{label} predicts 1.0 for every input: {why}"
            if head.loss.family == "binary":
                notes.append(f"Keras trains `{loss}` on the values before the softmax, so the loss moves, "
                             "but `predict` returns 1.0 for every row")
        if head.loss_value is not None:
            notes.append(f"the loss on the first batch, before any step, is {num(round(head.loss_value, 6))}")
        if head.activation == "softmax" and head.observed_min is not None and head.observed_min == head.observed_max:
            notes.append(f"the output is {num(head.observed_min)} for every row of the first batch")
        classes = head.target_classes
        yield RULE.finding(
            message,
            line=editor.activation_line(head) if _regression(head) else editor.head_line(head),
            layer=_layer(head),
            evidence={
                "output_units": 1,
                "activation": head.activation,
                "loss": head.loss.name or head.loss.spelled,
                "loss_first_batch": None if head.loss_value is None else round(head.loss_value, 6),
                "output_min": head.observed_min,
                "output_max": head.observed_max,
                "target_encoding": head.target_kind,
                "target_classes": classes,
                "output": head.key,
            },
            notes=notes,
            help=_help(head),
            fixes=_fixes(editor, head),
        )


def _regression(head: OutputCheck) -> bool:
    """Softmax over one unit on a regression loss: the softmax is what must go (its layer is the line)."""
    return head.activation == "softmax" and head.loss.family in ("regression", "count")


def _layer(head: OutputCheck) -> str | None:
    layer = (head.activation_layer or head.units_layer) if _regression(head) \
        else (head.units_layer or head.activation_layer)
    return layer.name if layer else head.layer


def _class_count(head: OutputCheck) -> int | None:
    targets = head.targets
    if targets is None or not targets.integral or targets.min is None or targets.min < 0:
        return None
    return int(targets.max) + 1


def _help(head: OutputCheck) -> str:
    count = _class_count(head)
    if count is not None and count > 2:
        return f'use {count} units with `activation="softmax"` and `loss="sparse_categorical_crossentropy"`'
    return 'for two classes use one unit with `activation="sigmoid"` and `loss="binary_crossentropy"`'


def _fixes(editor: Editor, head: OutputCheck) -> list[Fix]:
    count = _class_count(head)
    sparse = '"sparse_categorical_crossentropy"'
    if count is not None and count > 2:
        return ranked(softmax_units_fix(editor, head, count, sparse))
    if count is not None:
        return ranked(sigmoid_bce_fix(editor, head), softmax_units_fix(editor, head, 2, sparse))
    if _regression(head):
        patched = editor.set_activation(editor.source, head, None)
        return ranked(editor.fix("linear-output", "remove the softmax from the single output unit", patched,
                                 "a linear output can produce any value; softmax over one unit only 1.0"))
    return []


RULE = Rule(code="GM103", name="degenerate-output", severity="error", detect=detect, doc=__doc__)
