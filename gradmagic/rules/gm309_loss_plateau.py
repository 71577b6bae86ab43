"""GM309 loss-plateau: the loss does not decrease over the run.

## What it does
Compares the mean training loss of the first epoch with that of the last (or the first and
last quarter of the steps of a single epoch), measured per step inside the compiled train
step. Fires when it went down by less than 1 % while it is not already near 0: over at least
20 steps when the inputs are far from unit scale, otherwise over three epochs or 100 steps
(a slow first epoch or two is how many models start).

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

from gradmagic.evidence.data_origin import separate_shuffles
from gradmagic.fixes import make_fix
from gradmagic.fixes.data import shared_permutation
from gradmagic.report.model import Finding, Fix
from gradmagic.rules import _dynamics as dyn
from gradmagic.rules._preflight_common import heads
from gradmagic.rules.base import Rule, RuleContext

CONVERGED = 1e-3
AT_PRIOR = 0.97  # the run's last loss within 3 % of the label-frequency loss: nothing learnt from the inputs
PRIOR_MIN_STEPS = 100  # without a cause in the source, only a long run that stays there says so
AT_PRIOR_ALONE = 0.99  # ... and ends within 1 % of it: weak but real signal ends lower
PLATEAU_MIN_EPOCHS = 3  # without a cause in the data, a plateau is seen over three epochs (or PRIOR_MIN_STEPS)
TINY_INPUTS = 1e-2
LARGE_INPUTS = 20.0


def detect(ctx: RuleContext) -> Iterable[Finding]:
    rec = dyn.recording_of(ctx)
    if rec is None or rec.steps < dyn.TREND_MIN_STEPS or "loss" in rec.nonfinite:
        return []
    trend = dyn.loss_trend(rec)
    if trend is None or abs(trend.start) <= CONVERGED:
        return []
    prior = _prior_loss(ctx)
    plateau = trend.change > -dyn.PLATEAU_CHANGE
    if prior is not None and trend.end >= AT_PRIOR * prior:
        shuffles = _separate_shuffles(ctx)
        # at the label-frequency loss: explained by inputs and labels shuffled apart, or flat for a long run
        if shuffles or (not plateau and rec.steps >= PRIOR_MIN_STEPS and trend.end >= AT_PRIOR_ALONE * prior
                        and _flat_tail(rec, prior)):
            return [_at_prior(ctx, rec, trend, prior, shuffles)]
    scale = dyn.input_scale(ctx)
    if not plateau or not (_badly_scaled(scale) or _long_enough(rec)):
        return []
    data = rec.series("loss")
    steps, mean = data["steps"], data["mean"]
    step = dyn.first_step_where(steps, np.isfinite(mean) & (mean <= trend.end * (1 + dyn.PLATEAU_CHANGE))) or 1
    first, last = _periods(trend)
    return [RULE.finding(
        f"the loss did not go down: {dyn.num(trend.start)} {first}, {dyn.num(trend.end)} {last} "
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


def _prior_loss(ctx: RuleContext) -> float | None:
    """The loss of predicting the label frequencies, for a single classification head."""
    found = list(heads(ctx))
    if len(found) != 1 or found[0].loss.family not in ("sparse", "categorical", "binary"):
        return None
    return found[0].prior_loss


def _separate_shuffles(ctx: RuleContext) -> list:
    origins = ctx.fit.preflight.origins if ctx.fit.preflight is not None else {}
    names = [origin.expression for key, origin in origins.items() if key in ("x", "y") and origin.argument_is_name]
    return separate_shuffles(ctx.source.tree, ctx.fit.line, names)


def _long_enough(rec) -> bool:
    """Enough of a run to call a flat loss a plateau when nothing in the data explains it: a slow first
    epoch or two is how many models start."""
    return len(set(rec.epoch_ends)) >= PLATEAU_MIN_EPOCHS or rec.steps >= PRIOR_MIN_STEPS


def _flat_tail(rec, prior: float) -> bool:
    """The loss moved less than 1 % of the prior loss over the second half of the run."""
    data = rec.series("loss")
    mean = data["mean"]
    keep = np.isfinite(mean)
    mean = mean[keep]
    if mean.size < 4:
        return False
    half, quarter = mean.size // 2, max(1, mean.size // 4)
    return float(np.mean(mean[half:half + quarter]) - np.mean(mean[-quarter:])) < 0.01 * prior


def _at_prior(ctx: RuleContext, rec, trend, prior: float, shuffles: list) -> Finding:
    """The loss never got below what predicting the class frequencies gives: nothing was learnt from x."""
    data = rec.series("loss")
    step = dyn.first_step_where(data["steps"], np.isfinite(data["mean"]) & (data["mean"] <= prior * 1.01)) or 1
    notes = [f"a model that ignores its inputs and predicts the label frequencies gets a loss of {dyn.num(prior)}; "
             f"this run ended at {dyn.num(trend.end)}"]
    fixes: list[Fix] = []
    if shuffles:
        listed = ", ".join(f"`{item.name}`" for item in shuffles)
        lines = sorted({item.line for item in shuffles})
        where = f"line {lines[0]}" if len(lines) == 1 else "lines " + ", ".join(str(line) for line in lines)
        notes.append(f"{where} {'shuffle' if len(lines) > 1 else 'shuffles'} {listed} each with its own random "
                     "order: the rows of the inputs and of the labels no longer belong together")
        patched = shared_permutation(ctx.source.text, [(s.line, s.name, s.generator) for s in shuffles])
        if len({s.name for s in shuffles}) >= 2:
            fix = make_fix("one-permutation", f"shuffle {listed} with one permutation", "review", ctx.source.text,
                           patched, "the same order for inputs and labels keeps each row with its label")
            fixes = [fix] if fix else []
    first, last = _periods(trend)
    return RULE.finding(
        f"the loss never got below the loss of guessing the label frequencies ({dyn.num(prior)}): "
        f"{dyn.num(trend.start)} {first}, {dyn.num(trend.end)} {last}, over {rec.steps} steps",
        line=shuffles[0].line if shuffles else ctx.fit.line,
        step=step,
        evidence={"loss_start": trend.start, "loss_end": trend.end, "change": trend.change,
                  "prior_loss": prior, "steps": rec.steps, "loss_lowest": trend.lowest,
                  "shuffled_apart": [s.name for s in shuffles]},
        notes=notes,
        help="shuffle inputs and labels together (one permutation for both)" if shuffles else
        "check that the labels belong to their inputs and can be predicted from them",
        fixes=fixes,
    )


def _periods(trend) -> tuple[str, str]:
    """What the trend's start and end levels average over, as the message says it."""
    if trend.by_epoch:
        return "in the first epoch", "in the last"
    return "in the first quarter of the steps", "in the last quarter"


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
