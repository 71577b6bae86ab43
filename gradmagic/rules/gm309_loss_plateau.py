"""GM309 loss-plateau: the loss does not decrease over the run.

## What it does
Compares the mean training loss of the first epoch with that of the last (or the first and
last quarter of the steps of a single epoch), measured per step inside the compiled train
step. Fires when it went down by less than 1 % over at least 20 steps while it is not
already near 0.

## Why is this bad?
The model is not learning: the data carries no signal the model can use, the signal is
drowned (inputs at the wrong scale), or the optimisation is stuck (see GM303-GM308, which
often fire with it and name the cause).

## Example
```python
x = np.random.normal(size=(64, 6)) * 1e-4        # features far below unit scale
model.fit(x, y, epochs=6)                        # the loss stays at 0.693
```

## Use instead
Check that the targets can be predicted from the inputs, standardise the inputs, and look
at the other GM3xx findings for the cause.

## Fix safety
`review`: rescaling the data changes what the model sees; inputs to `evaluate`/`predict`
need the same scaling.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from gradmagic.fixes import make_fix
from gradmagic.report.model import Finding, Fix
from gradmagic.rules import _dynamics as dyn
from gradmagic.rules.base import Rule, RuleContext

CONVERGED = 1e-3
TINY_INPUTS = 1e-2
LARGE_INPUTS = 20.0


def detect(ctx: RuleContext) -> Iterable[Finding]:
    rec = dyn.recording_of(ctx)
    if rec is None or rec.steps < dyn.TREND_MIN_STEPS or "loss" in rec.nonfinite:
        return []
    trend = dyn.loss_trend(rec)
    if trend is None or abs(trend.start) <= CONVERGED or trend.change <= -dyn.PLATEAU_CHANGE:
        return []
    data = rec.series("loss")
    steps, mean = data["steps"], data["mean"]
    step = dyn.first_step_where(steps, np.isfinite(mean) & (mean <= trend.end * (1 + dyn.PLATEAU_CHANGE))) or 1
    scale = dyn.input_scale(ctx)
    return [RULE.finding(
        f"the loss did not go down: {dyn.num(trend.start)} in the first epoch, {dyn.num(trend.end)} in the last "
        f"({_percent(trend.change)}) over {rec.steps} steps",
        line=ctx.fit.line,
        step=step,
        evidence={"loss_start": trend.start, "loss_end": trend.end, "change": trend.change,
                  "threshold": -dyn.PLATEAU_CHANGE, "steps": rec.steps, "loss_lowest": trend.lowest,
                  "input_scale": scale},
        notes=_notes(scale),
        help="standardise the inputs" if _badly_scaled(scale) else
        "check that the targets can be learned from the inputs, and the other GM3xx findings for the cause",
        fixes=_fixes(ctx, scale),
    )]


def _percent(change: float) -> str:
    return f"{'+' if change >= 0 else '-'}{dyn.num(abs(change) * 100)} %"


def _badly_scaled(scale: float | None) -> bool:
    return scale is not None and (scale < TINY_INPUTS or scale > LARGE_INPUTS)


def _notes(scale: float | None) -> list[str]:
    if _badly_scaled(scale):
        return [f"the inputs reach at most {dyn.num(scale)}: the first layer's weights were sized for unit scale"]
    return []


def _fixes(ctx: RuleContext, scale: float | None) -> list[Fix]:
    if not _badly_scaled(scale):
        return []
    found = dyn.standardise_inputs(ctx)
    if not found:
        return []
    patched, name = found
    fix = make_fix("standardise", f"standardise `{name}` before training", "review", ctx.source.text, patched,
                   "inputs at unit scale give the first layer a signal it can learn from")
    return [fix] if fix else []


RULE = Rule(code="GM309", name="loss-plateau", severity="warning", detect=detect, doc=__doc__)
