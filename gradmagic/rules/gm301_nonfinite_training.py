"""GM301 nonfinite-training: the loss, a gradient or a weight becomes NaN/Inf during training.

## What it does
Watches every training step from inside the compiled train function: the loss, the NaN/Inf
count of every gradient and of every weight after its update. Reports the first step at
which any of them stopped being finite and the layers involved. When the weights stayed
finite (a NaN made in the loss), it replays the sampled batch with
`tf.debugging.enable_check_numerics` to name the op that produces the NaN/Inf and the line
where it is written.

## Why is this bad?
Once the loss or a weight is NaN every later step is NaN too: training is over, but `fit`
goes on and prints `nan` (or the loss looks fine while the weights are lost, see GM310).

## Example
```python
def cross_entropy(y_true, y_pred):        # y_pred comes from a linear Dense(1)
    return -tf.reduce_mean(y_true * tf.math.log(y_pred) + (1 - y_true) * tf.math.log(1 - y_pred))
```

## Use instead
Keep the argument of `log`/`sqrt` in its domain (`tf.math.log(tf.maximum(p, 1e-7))`, a
sigmoid output, or a built-in loss with `from_logits=True`); when the loss grows until it
overflows, lower the learning rate.

## Fix safety
`review`: clamping the argument of `log` changes the loss where it was undefined; a lower
learning rate trains more slowly.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from gradmagic.fixes import make_fix
from gradmagic.fixes.guards import GUARDS, guard_op
from gradmagic.report.model import Finding, Fix
from gradmagic.rules import _dynamics as dyn
from gradmagic.rules._shared import layer_line
from gradmagic.rules.base import Rule, RuleContext

OP_SPELLING = {"Log": "`log`", "Log1p": "`log1p`", "Sqrt": "`sqrt`", "Rsqrt": "`rsqrt`", "RealDiv": "a division",
               "Square": "a square", "Exp": "`exp`", "Pow": "a power", "MatMul": "a matrix product"}


def detect(ctx: RuleContext) -> Iterable[Finding]:
    rec = dyn.recording_of(ctx)
    if rec is None or not dyn.training_went_nonfinite(rec):
        return []
    events = rec.nonfinite
    first = min(event.step for event in events.values())
    loss_event = events.get("loss")
    origin = rec.origin or {}
    op = origin.get("op")
    op_line = dyn.origin_line(ctx, origin)
    growth = _loss_growth(rec, first)
    diverged = growth is not None and growth >= 10
    layer = _layer(rec, origin, first)
    what, value = _what(events, first)
    line = op_line or (dyn.optimizer_line(ctx) if diverged else None) or layer_line(ctx.fit, layer) or ctx.fit.line
    evidence = {
        "first_step": first,
        "what": what,
        "value": value,
        "layers": _layers_at(events, first),
        "nonfinite_gradient_variables": events["gradient"].count if "gradient" in events else 0,
        "nonfinite_weight_variables": events["weight"].count if "weight" in events else 0,
        "nonfinite_weights_after_fit": events["weight"].values if "weight" in events else 0,
        "loss_nonfinite_step": loss_event.step if loss_event else None,
        "op": op,
        "stage": origin.get("stage"),
        "loss_growth": round(growth, 3) if growth is not None else None,
        "learning_rate": rec.optimizer.get("learning_rate"),
    }
    spelled = OP_SPELLING.get(op, f"`{op}`")
    if op and "edge" in origin:
        notes = [f"the weights were NaN after the failing step, so the loss was evaluated on predictions of "
                 f"exactly {dyn.num(origin['edge'])}, what a saturated output produces: {spelled} is the first "
                 "op whose output is NaN/Inf there"]
    elif op:
        notes = [f"replayed on the sampled batch with the final weights, {spelled} "
                 f"in the {origin.get('stage')} is the first op whose output is NaN/Inf"]
    else:
        notes = []
    if diverged:
        start, peak = _loss_levels(rec, first)
        notes.append(f"the loss grew from {dyn.num(start)} to {dyn.num(peak)} ({dyn.num(growth)}x) before it overflowed")
    if origin.get("stage") == "data":
        notes.append("the sampled input batch itself holds NaN/Inf (see GM201)")
    where = f" in `{layer}`" if layer else ""
    by_op = f"; {OP_SPELLING.get(op, f'`{op}`')} on line {op_line} produces it" if op and op_line else ""
    fate = dyn.nonfinite_loss(rec)
    evidence["loss_stayed_nonfinite"] = fate.stayed if fate else None
    if fate is not None and fate.step == first:
        happened = fate.said() + where  # "the loss was NaN from step 3 on", as Keras prints `nan` from there
    else:
        happened = f"{what}{where} became {value}" + (f"; {fate.said()}" if fate else "")
    return [RULE.finding(
        f"training turned {value} at step {first}: {happened}{by_op}",
        line=line,
        layer=layer,
        step=first,
        evidence=evidence,
        notes=notes,
        help=_help(op, op_line, diverged),
        fixes=_fixes(ctx, rec, op, op_line, diverged),
        label=f"makes the first {value} (step {first})" if by_op else None,
    )]


def _what(events: dict, first: int) -> tuple[str, str]:
    for kind, label in (("loss", "the loss"), ("gradient", "gradients"), ("weight", "weights")):
        event = events.get(kind)
        if event is not None and event.step == first:
            value = "NaN"
            if kind == "loss" and event.loss is not None and np.isinf(event.loss):
                value = "Inf"
            return label, value
    return "the loss", "NaN"


def _layers_at(events: dict, first: int) -> list[str]:
    for kind in ("gradient", "weight"):
        event = events.get(kind)
        if event is not None and event.step == first:
            return list(event.layers)
    return []


def _layer(rec, origin: dict, first: int) -> str | None:
    if origin.get("stage") == "forward" and origin.get("layer") in rec.layers:
        return origin["layer"]
    if origin.get("stage") in ("loss", "data"):
        return None
    layers = _layers_at(rec.nonfinite, first)
    kernels = dyn.kernel_layers(rec)
    if layers and len(set(layers) & set(kernels)) < len(kernels):
        return layers[0]
    return None


def _loss_levels(rec, first: int) -> tuple[float, float] | None:
    """The loss's first level (GM307's "at first") and its highest before ``first``."""
    data = rec.series("loss")
    steps, mean = data["steps"], data["mean"]
    before = np.isfinite(mean) & (steps < first)
    if before.sum() < 2:
        return None
    values = mean[before]
    trend = dyn.loss_trend(rec)
    start = trend.initial if trend is not None else float(np.mean(values[: max(1, len(values) // 5)]))
    return start, float(values.max())


def _loss_growth(rec, first: int) -> float | None:
    """How many times the loss grew from its first level to its highest before ``first``."""
    levels = _loss_levels(rec, first)
    if levels is None or levels[0] <= 0:
        return None
    return levels[1] / levels[0]


def _help(op: str | None, op_line: int | None, diverged: bool) -> str:
    if op in GUARDS and op_line:
        return f"keep the argument of `{op.lower()}` on line {op_line} inside its domain, e.g. with `tf.maximum(x, 1e-7)`"
    if diverged:
        return "lower the learning rate: the loss grew until it overflowed"
    return "find the first NaN/Inf with `tf.debugging.enable_check_numerics()`; check the data and the learning rate"


def _fixes(ctx: RuleContext, rec, op: str | None, op_line: int | None, diverged: bool) -> list[Fix]:
    source = ctx.source.text
    fixes: list[Fix | None] = []
    if op_line and op in GUARDS:
        fixes.append(make_fix("guard-op", f"keep the argument of `{op.lower()}` on line {op_line} positive",
                              "review", source, guard_op(source, op_line, op),
                              "clamps the argument away from 0 and below, where the op returns NaN/-Inf"))
    if diverged:
        rate = dyn.suggested_rate(rec, dyn.median_update_ratio(rec), lower=True)
        fixes.extend(dyn.learning_rate_fix(ctx, rate, "lower",
                                           reason="the measured updates were far larger than ~1e-3 of the weights"))
    return [fix for fix in fixes if fix is not None]


RULE = Rule(code="GM301", name="nonfinite-training", severity="error", detect=detect, doc=__doc__)
