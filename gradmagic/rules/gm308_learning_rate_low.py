"""GM308 learning-rate-low: updates are negligible against the weights and the loss barely moves.

## What it does
Measures, at every step inside the compiled train step, the norm of each update against
the norm of the weights it changes. Fires when the median ratio over the run is below
1e-5 (a hundred times below the healthy ~1e-3) and the loss changed by less than 1 %
between the first and the last epoch, over at least 10 steps.

## Why is this bad?
Training runs, costs time and changes nothing: the model after `fit` is the model before.

## Example
```python
model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-6), loss="mse")
```

## Use instead
A learning rate that moves the weights by about 1e-3 of their size per step (Keras'
defaults: `1e-3` for Adam and RMSprop, `0.01` for SGD).

## Fix safety
`review`: the suggested learning rate comes from the measured updates; check that training
with it stays stable.
"""

from __future__ import annotations

from typing import Iterable

from gradmagic.report.model import Finding
from gradmagic.rules import _dynamics as dyn
from gradmagic.rules.base import Rule, RuleContext

MIN_STEPS = 10


def detect(ctx: RuleContext) -> Iterable[Finding]:
    rec = dyn.recording_of(ctx)
    if rec is None or rec.steps < MIN_STEPS or dyn.dead_layers(rec):
        return []
    ratio = dyn.median_update_ratio(rec)
    trend = dyn.loss_trend(rec)
    zero = dyn.median(rec.series("zero_fraction")["mean"])
    if ratio is None or trend is None or ratio >= dyn.LOW_UPDATE_RATIO or abs(trend.change) >= dyn.PLATEAU_CHANGE:
        return []
    if zero is not None and zero >= dyn.ZERO_GRADIENTS:
        return []
    rate = dyn.suggested_rate(rec, ratio, lower=False)
    learning_rate = rec.optimizer.get("learning_rate")
    return [RULE.finding(
        f"the learning rate {dyn.num(learning_rate)} is too low: each step changes the weights by {dyn.num(ratio)} "
        f"of their size (healthy: about 1e-3), and the loss moved {dyn.num(abs(trend.change) * 100)} % in "
        f"{rec.steps} steps",
        line=dyn.optimizer_line(ctx) or ctx.fit.line,
        step=1,
        evidence={"update_ratio": ratio, "healthy_ratio": dyn.HEALTHY_UPDATE_RATIO, "threshold": dyn.LOW_UPDATE_RATIO,
                  "learning_rate": learning_rate, "optimizer": rec.optimizer.get("class"),
                  "suggested_learning_rate": rate, "loss_start": trend.start, "loss_end": trend.end,
                  "loss_change": trend.change, "steps": rec.steps},
        help=f"raise the learning rate to about {dyn.rate_code(rate)}" if rate else "raise the learning rate",
        fixes=dyn.learning_rate_fix(ctx, rate, "raise"),
    )]


RULE = Rule(code="GM308", name="learning-rate-low", severity="warning", detect=detect, doc=__doc__)
