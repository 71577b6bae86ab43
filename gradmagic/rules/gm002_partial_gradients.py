"""GM002 partial-gradients: some trainable variables get no gradient while others do.

## What it does
Traces one training step and lists the layers whose trainable variables get no gradient
while the rest of the model does.

## Why is this bad?
Keras only warns (`Gradients do not exist for variables ...`) and trains the rest: the
listed layers keep their initial weights for ever, and the model is silently worse.

## Example
```python
aux = keras.layers.Dense(4, name="aux")(features)   # an output with no loss
model = keras.Model(inputs, [main, aux])
model.compile(loss=["mse", None])
```

## Use instead
Connect the layers to the loss (give every output a loss, remove the cut named by the
accompanying finding) or mark them `trainable=False` if they are not meant to learn.

## Fix safety
No fix of its own: it offers the fixes of the cause findings reported with it.
"""

from __future__ import annotations

from typing import Iterable

from gradmagic.report.model import Finding
from gradmagic.rules._shared import layer_line, layers_of, names_listed
from gradmagic.rules.base import Rule, RuleContext


def detect(ctx: RuleContext) -> Iterable[Finding]:
    probe = ctx.fit.probe
    if probe is None:
        return []
    missing = probe.paths_in_state("none")
    if not missing or len(missing) == len(probe.gradients):
        return []
    layers = layers_of(ctx.fit, missing)
    first = layers[0] if layers else None
    cause_line = next((cut.line for cut in probe.cuts if cut.line), None)
    listed = names_listed(layers) or names_listed(missing)
    return [
        RULE.finding(
            f"{len(missing)} of {len(probe.gradients)} trainable variables get no gradient: "
            f"layer(s) {listed} will never learn",
            line=cause_line or layer_line(ctx.fit, first) or ctx.fit.line,
            layer=first,
            evidence={
                "layers_without_gradient": layers,
                "variables_without_gradient": missing,
                "trainable_variables": len(probe.gradients),
            },
            notes=["Keras only warns about this (`Gradients do not exist for variables ...`) and trains the rest"],
            help="connect these layers to the loss, or set `trainable=False` on them if they should not learn",
        )
    ]


RULE = Rule(code="GM002", name="partial-gradients", severity="warning", detect=detect, doc=__doc__, symptom=True)
