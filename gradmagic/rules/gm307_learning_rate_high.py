"""GM307 learning-rate-high: updates are large against the weights, or the loss diverges.

## What it does
Measures, at every step inside the compiled train step, the norm of each update against
the norm of the weights it changes. Healthy training moves the weights by about 1e-3 of
their size per step. Fires when the median ratio over the run is 0.1 or more while the loss
does not go down, or when the loss diverges (ends 3x above, or peaks 10x above, where it
started) with updates of 1 % of the weights or more.

## Why is this bad?
Each step overshoots: the loss jumps around or climbs, ReLU units die (GM304), and the loss
may overflow to NaN (GM301).

## Example
```python
model.compile(optimizer=keras.optimizers.Adam(learning_rate=2.0), ...)
```

## Use instead
A learning rate that moves the weights by about 1e-3 of their size per step (Adam's default
`1e-3` is a good start); a schedule or warm-up for large models.

## Fix safety
`review`: the suggested learning rate comes from the measured updates; training with it is
slower per step, and may need more epochs.
"""

from __future__ import annotations

from typing import Iterable

from gradmagic.report.model import Finding
from gradmagic.rules import _dynamics as dyn
from gradmagic.rules._shared import names_listed
from gradmagic.rules.base import Rule, RuleContext

DIVERGING_RATIO = 1e-2


def detect(ctx: RuleContext) -> Iterable[Finding]:
    rec = dyn.recording_of(ctx)
    if rec is None:
        return []
    ratio = dyn.median_update_ratio(rec)
    zero = dyn.median(rec.series("zero_fraction")["mean"])
    if ratio is None or (zero is not None and zero >= dyn.ZERO_GRADIENTS and not dyn.dead_layers(rec)):
        return []  # weights that start at 0 make any update look large (GM306)
    trend = dyn.loss_trend(rec)
    diverged = dyn.loss_diverged(rec)
    not_improving = trend is not None and trend.end >= trend.initial
    large = ratio >= dyn.HIGH_UPDATE_RATIO and (not_improving or diverged)
    early = dyn.early_update_ratio(rec)
    # huge first updates that killed the ReLU units: after them nothing moves, so the median is ~0
    killed = not large and dyn.died_during_training(rec) and early is not None and early >= dyn.HIGH_UPDATE_RATIO
    if killed:
        ratio = early
    if not (large or killed or (diverged and ratio >= DIVERGING_RATIO)):
        return []
    data = rec.series("update_ratio")
    step = dyn.first_step_where(data["steps"], data["mean"] >= dyn.HIGH_UPDATE_RATIO) or 1
    rate = dyn.suggested_rate(rec, ratio, lower=True)
    learning_rate = rec.optimizer.get("learning_rate")
    per_layer = {layer: dyn.median(rec.series("update_ratio", layer)["mean"]) for layer in rec.layers}
    fate = dyn.nonfinite_loss(rec)
    ended_nonfinite = fate is not None and fate.stayed  # then the run has no finite "end" to speak of
    evidence = {
        "update_ratio": ratio, "healthy_ratio": dyn.HEALTHY_UPDATE_RATIO, "threshold": dyn.HIGH_UPDATE_RATIO,
        "learning_rate": learning_rate, "optimizer": rec.optimizer.get("class"), "suggested_learning_rate": rate,
        "loss_initial": trend.initial if trend else None, "loss_start": trend.start if trend else None,
        "loss_end": fate.last_value if ended_nonfinite else trend.end if trend else None,
        "loss_highest": trend.highest if trend else None, "diverged": diverged, "layer_update_ratios": per_layer,
        "killed_units": killed, "loss_nonfinite_step": fate.step if fate else None,
    }
    how = ("its first updates killed the ReLU units of " + names_listed(dyn.dead_layers(rec))
           if killed else "the loss diverged" if diverged else "the loss did not go down")
    if trend is not None and ended_nonfinite:
        how += f" ({dyn.num(trend.initial)} at first, {dyn.num(trend.highest)} at its highest finite value); {fate.said()}"
    elif trend is not None:
        how += f" ({dyn.num(trend.initial)} at first, {dyn.num(trend.highest)} at worst, {dyn.num(trend.end)} at the end" \
               + (f"; {fate.said()})" if fate else ")")
    elif fate is not None:
        how += f" ({fate.said()})"
    return [RULE.finding(
        f"the learning rate {dyn.num(learning_rate)} is too high: each step changes the weights by "
        f"{dyn.num(ratio)} of their size (healthy: about 1e-3), and {how}",
        line=dyn.optimizer_line(ctx) or ctx.fit.line,
        step=step,
        evidence=evidence,
        notes=["update/weight ratio per layer (median): "
               + ", ".join(f"{name} {dyn.num(value)}" for name, value in per_layer.items())],
        help=f"lower the learning rate to about {dyn.rate_code(rate)}" if rate else "lower the learning rate",
        fixes=dyn.learning_rate_fix(ctx, rate, "lower"),
    )]


RULE = Rule(code="GM307", name="learning-rate-high", severity="warning", detect=detect, doc=__doc__)
