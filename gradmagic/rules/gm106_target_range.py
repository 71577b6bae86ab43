"""GM106 target-range: targets outside the range the output activation can produce, or outside [0, 1] for binary cross-entropy.

## What it does
Compares the range of the targets (over the scanned rows) with what the loss accepts and
what the output activation can produce: `binary_crossentropy` and `categorical_crossentropy`
need targets in [0, 1]; a sigmoid or softmax output stays in [0, 1], tanh in [-1, 1], ReLU
at or above 0.

## Why is this bad?
Binary cross-entropy with a target of -1.3 rewards pushing the prediction *away* from it: the
loss can go negative and no prediction is right. A sigmoid output trained with `mse` on
targets in the hundreds saturates at 1.0 and stops learning. Neither raises an error; the
accuracy a user watches is meaningless.

## Example
```python
y = np.random.normal(size=(64, 1))                    # continuous, negative values
model.compile(optimizer="adam", loss="binary_crossentropy")
```

## Use instead
```python
keras.layers.Dense(1)                                 # a linear output
model.compile(optimizer="adam", loss="mse")           # a regression loss
```

## Fix safety
`review`: the fix changes the task (a regression loss and a linear output) or maps labels
written as -1/1 to 0/1; only the user knows which the data means.
"""

from __future__ import annotations

from typing import Iterable

from gradmagic.evidence.facts.preflight import OutputCheck
from gradmagic.fixes.data import insert_data_lines
from gradmagic.fixes.metrics import replace_accuracy_metrics
from gradmagic.report.model import Finding, Fix
from gradmagic.rules._preflight_common import (
    ACTIVATION_RANGES,
    Editor,
    head_label,
    heads,
    loss_spelling,
    name_of,
    num,
    ranked,
    value_range,
)
from gradmagic.rules.base import Rule, RuleContext


def detect(ctx: RuleContext) -> Iterable[Finding]:
    editor = Editor(ctx)
    for head in heads(ctx):
        targets = head.targets
        if targets is None or targets.min is None:
            continue
        finding = _outside_unit_interval(editor, head) or _outside_activation(editor, head)
        if finding is not None:
            yield finding


def _evidence(head: OutputCheck, **extra) -> dict:
    targets = head.targets
    return {"target_min": targets.min, "target_max": targets.max, "target_mean": targets.mean,
            "rows_scanned": targets.rows_scanned, "loss": head.loss.name or head.loss.spelled,
            "activation": head.activation, "output": head.key, **extra}


def _layer(head: OutputCheck) -> str | None:
    layer = head.activation_layer or head.units_layer
    return layer.name if layer else head.layer


def _class_ids_case(head: OutputCheck) -> bool:
    """Integer ids against several units: GM105 explains those."""
    return head.relation in ("ids", "ids-column") and (head.units or 0) > 1 and head.targets.integral


def _outside_unit_interval(editor: Editor, head: OutputCheck) -> Finding | None:
    targets = head.targets
    if head.loss.family not in ("binary", "categorical") or _class_ids_case(head):
        return None
    if targets.min >= 0.0 and targets.max <= 1.0:
        return None
    loss = loss_spelling(head)
    outside = "below 0" if targets.min < 0 else "above 1"
    recode = _two_labels(head) and targets.origin is not None and targets.origin.editable
    return RULE.finding(
        f"targets{head_label(head, editor.head_count)} range {value_range(targets)} (mean {num(targets.mean)}) "
        f"but `{loss}` needs targets in [0, 1]",
        # two label values coded as something other than 0/1: the data is wrong where it is made
        line=targets.origin.line if recode else editor.loss_line(head),
        layer=_layer(head),
        evidence=_evidence(head),
        notes=[f"`{name_of(targets)}` has values {outside}: cross-entropy with such targets can go negative "
               "and has no right answer; accuracy is meaningless"],
        help='for continuous targets use a regression loss (`loss="mse"`) with a linear output',
        fixes=_unit_interval_fixes(editor, head),
    )


def _unit_interval_fixes(editor: Editor, head: OutputCheck) -> list[Fix]:
    targets = head.targets
    fixes: list[Fix | None] = []
    origin = targets.origin
    signed_labels = targets.integral and targets.min == -1 and targets.max == 1 and head.target_classes == 2
    if signed_labels and origin is not None and origin.editable:
        patched = insert_data_lines(editor.source, origin.line,
                                    f'{origin.name} = ({origin.name} > 0).astype("float32")')
        fixes.append(editor.fix("labels-to-01", f"map the -1/1 labels in `{origin.name}` to 0/1", patched,
                                "binary cross-entropy reads 1 as the positive class and 0 as the negative"))
    elif _two_labels(head) and origin is not None and origin.editable:
        high = num(targets.max)
        patched = insert_data_lines(editor.source, origin.line,
                                    f'{origin.name} = ({origin.name} == {high}).astype("float32")')
        fixes.append(editor.fix("labels-to-01", f"recode the labels {num(targets.min)}/{high} in `{origin.name}` "
                                f"to 0/1 after line {origin.line}", patched,
                                "binary cross-entropy reads 1 as the positive class and 0 as the negative"))
    if not signed_labels:
        patched = editor.source
        if head.activation not in (None, "linear"):
            patched = editor.set_activation(patched, head, None)
        patched = editor.set_loss(patched, head, '"mse"')
        patched = replace_accuracy_metrics(patched, editor.ctx.fit.line)
        fixes.append(editor.fix("regression", 'use `loss="mse"` with a linear output', patched,
                                f"the targets are continuous ({value_range(targets)}): a regression loss fits them"))
    return ranked(*fixes)


def _two_labels(head: OutputCheck) -> bool:
    """Integer targets with exactly two values: binary labels, coded some other way than 0/1."""
    targets = head.targets
    return bool(targets.integral and head.target_classes == 2 and targets.max is not None
                and targets.min is not None and targets.max > targets.min)


def _outside_activation(editor: Editor, head: OutputCheck) -> Finding | None:
    targets = head.targets
    bounds = ACTIVATION_RANGES.get(head.activation or "")
    if bounds is None or head.activation_from != "layers" or head.loss.family not in ("regression", "count") \
            or head.target_kind == "one-hot":
        return None
    low, high = bounds
    if (low is None or targets.min >= low) and (high is None or targets.max <= high):
        return None
    span = f"{num(low)}..{num(high)}" if high is not None else f"{num(low)} and above"
    patched = editor.set_activation(editor.source, head, None)
    return RULE.finding(
        f"targets{head_label(head, editor.head_count)} range {value_range(targets)} but the {head.activation} "
        f"output of `{_layer(head)}` can only produce {span}",
        line=editor.activation_line(head),
        layer=_layer(head),
        evidence=_evidence(head, output_low=low, output_high=high),
        notes=[f"with `{loss_spelling(head)}` the output saturates at its bound and the gradient there vanishes"],
        help=f"remove the {head.activation} from the output layer (a linear output can reach any target)",
        fixes=ranked(editor.fix("linear-output", f"remove the {head.activation} from the output layer", patched,
                                "a linear output can produce the whole target range")),
    )


RULE = Rule(code="GM106", name="target-range", severity="error", detect=detect, doc=__doc__)
