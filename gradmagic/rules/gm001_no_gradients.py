"""GM001 no-gradients: no trainable variable receives a gradient.

## What it does
Traces one training step and checks which trainable variables get a gradient from the
loss. Fires when none does: this is what Keras reports as
`ValueError: No gradients provided for any variable.`

## Why is this bad?
Nothing can learn. Keras names the symptom but not the cause; gradmagic reports the cause
as its own finding next to this one (GM003, GM004, GM005, GM006, GM008, GM010).

## Example
```python
def loss(y_true, y_pred):
    return tf.reduce_mean(tf.cast(tf.argmax(y_pred, -1) != y_true, "float32"))
```

## Use instead
A loss that is a differentiable function of the model's output, e.g.
`keras.losses.SparseCategoricalCrossentropy(from_logits=True)`.

## Fix safety
No fix of its own: it offers the fixes of the cause findings reported with it.
"""

from __future__ import annotations

from typing import Iterable

from gradmagic.report.model import Finding
from gradmagic.rules.base import Rule, RuleContext

KERAS_MESSAGE = "No gradients provided for any variable"


def detect(ctx: RuleContext) -> Iterable[Finding]:
    fit = ctx.fit
    probe = fit.probe
    raised = fit.exception is not None and KERAS_MESSAGE in fit.exception.message
    total = len(probe.gradients) if probe else 0
    missing = len(probe.paths_in_state("none")) if probe else 0
    if not raised and not (total and missing == total):
        return []
    cause_line = next((cut.line for cut in probe.cuts if cut.line), None) if probe else None
    if cause_line is None and probe and probe.outside_tape:
        cause_line = probe.outside_tape[0].line
    if raised and fit.model_info.trainable_variables():
        # Keras's own trace found no gradient even where the probe's trace did (e.g. GM010).
        total = max(total, len(fit.model_info.trainable_variables()))
        missing = total
    evidence = {"trainable_variables": total, "variables_without_gradient": missing}
    notes = []
    if raised:
        notes.append(f"Keras raised `ValueError: {KERAS_MESSAGE}.` at line {fit.line}")
    return [
        RULE.finding(
            "no trainable variable receives a gradient from the loss, so nothing can learn",
            line=cause_line or fit.line,
            evidence=evidence,
            notes=notes,
            help="see the finding that names the cause; the gradient must flow from the loss back to the weights",
        )
    ]


RULE = Rule(code="GM001", name="no-gradients", severity="error", detect=detect, doc=__doc__, symptom=True)
