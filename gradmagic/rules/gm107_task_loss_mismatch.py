"""GM107 task-loss-mismatch: a regression loss on a classification head, or a metric that cannot mean anything for the task.

## What it does
Fires when a regression loss (`mse`, `mae`, `huber`, ...) trains a classifier (a softmax head
over several classes, one-hot targets, or a sigmoid unit on 0/1 targets), and when
`accuracy` is reported for a regression on continuous targets.

## Why is this bad?
Squared error on probabilities has tiny gradients once a softmax saturates, so a classifier
learns slowly and calibrates badly; cross-entropy is the loss whose gradient is `p - y`.
`accuracy` on continuous targets counts exact matches, which almost never happen: it reads
0.0 for a model that fits well.

## Example
```python
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
model.compile(optimizer="adam", loss="mse")
model.fit(x, keras.utils.to_categorical(labels, 3))
```

## Use instead
```python
model.compile(optimizer="adam", loss="categorical_crossentropy")
```

## Fix safety
`review` for the loss change (it changes what is optimised); `safe` for replacing `accuracy`
by `mae` on a regression, which only changes what is reported.
"""

from __future__ import annotations

from typing import Iterable

from gradmagic.evidence.facts.preflight import OutputCheck
from gradmagic.fixes.losses import loss_code
from gradmagic.fixes.metrics import ACCURACY, metrics_line, replace_accuracy_metrics
from gradmagic.report.model import Finding, Fix
from gradmagic.rules._preflight_common import (
    Editor,
    head_label,
    heads,
    loss_spelling,
    preflight_of,
    ranked,
    value_range,
)
from gradmagic.rules.base import Rule, RuleContext


def detect(ctx: RuleContext) -> Iterable[Finding]:
    editor = Editor(ctx)
    for head in heads(ctx):
        if head.loss.family != "regression" or head.targets is None:
            continue
        finding = _regression_on_classifier(editor, head)
        if finding is not None:
            yield finding
    accuracy = _accuracy_on_regression(editor)
    if accuracy is not None:
        yield accuracy


def _classifier_loss(head: OutputCheck) -> str | None:
    if head.activation_from != "layers":
        return None  # an activation guessed from output values is not enough to call a head a classifier
    units = head.units or 1
    if units > 1 and (head.target_kind == "one-hot" or (head.activation == "softmax" and head.relation == "same")):
        return "categorical_crossentropy"
    if units == 1 and head.activation == "sigmoid" and head.target_kind == "binary":
        return "binary_crossentropy"
    return None


def _regression_on_classifier(editor: Editor, head: OutputCheck) -> Finding | None:
    wanted = _classifier_loss(head)
    if wanted is None:
        return None
    code = loss_code(wanted, head.activation in (None, "linear"))
    kind = "one-hot targets" if head.target_kind == "one-hot" else f"{head.target_kind} targets"
    what = (f"a {head.activation} classifier over {head.units} classes" if (head.units or 1) > 1
            else "a sigmoid classifier")
    return RULE.finding(
        f"`{loss_spelling(head)}` is a regression loss but the output{head_label(head, editor.head_count)} is "
        f"{what} trained on {kind}",
        line=editor.loss_line(head),
        layer=(head.activation_layer or head.units_layer).name if (head.activation_layer or head.units_layer)
        else head.layer,
        severity="warning",
        evidence={"loss": head.loss.name, "activation": head.activation, "output_units": head.units,
                  "target_encoding": head.target_kind, "output": head.key},
        notes=["squared error on probabilities gives vanishing gradients once the output saturates; "
               "cross-entropy's gradient is simply `p - y`"],
        help=f"use `loss={code}`",
        fixes=ranked(editor.fix("classification-loss", f"use `loss={code}`",
                                editor.set_loss(editor.source, head, code),
                                "the loss made for class probabilities")),
    )


def _accuracy_on_regression(editor: Editor) -> Finding | None:
    preflight = preflight_of(editor.ctx)
    if preflight is None or not preflight.outputs:
        return None
    used = [name for name in preflight.metrics if name in ACCURACY]
    regressions = [h for h in preflight.outputs if h.loss.family == "regression" and h.target_kind == "continuous"
                   and h.targets is not None]
    if not used or len(regressions) != len(preflight.outputs):
        return None
    head = regressions[0]
    tree = editor.ctx.source.tree
    return RULE.finding(
        f"`{used[0]}` counts exact matches, but the targets are continuous ({value_range(head.targets)}): "
        "it stays near 0 however well the model fits",
        line=metrics_line(tree, editor.ctx.fit.line),
        layer=None,
        severity="warning",
        evidence={"metric": used[0], "loss": head.loss.name, "target_min": head.targets.min,
                  "target_max": head.targets.max, "target_encoding": head.target_kind},
        help='report a regression metric such as `"mae"` instead',
        fixes=ranked(_replace_accuracy(editor, used)),
    )


def _replace_accuracy(editor: Editor, used: list[str]) -> Fix | None:
    patched = replace_accuracy_metrics(editor.source, editor.ctx.fit.line)
    return editor.fix("mae-metric", f'report `"mae"` instead of `"{used[0]}"`', patched,
                      "mean absolute error says how far predictions are, in the targets' units", safety="safe")


RULE = Rule(code="GM107", name="task-loss-mismatch", severity="error", detect=detect, doc=__doc__)
