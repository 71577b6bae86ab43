"""GM302 exploding-gradients: gradient norms grow out of bounds.

## What it does
Measures the gradient norm of every layer at every step, inside the compiled train step,
and fires when the first layer's gradient is more than 70 times the last layer's
(AUTOTRAINER's threshold) over the first steps, or when the gradient norm grows a
thousandfold over its level in the first steps.

## Why is this bad?
Each update is proportional to the gradient: a growing gradient makes ever larger steps,
the loss jumps around or climbs, and soon overflows to Inf/NaN (GM301).

## Example
```python
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.15, momentum=0.9), loss="mse")
```

## Use instead
Clip the gradient (`clipnorm=1.0` on the optimizer), lower the learning rate, and for deep
or recurrent models use a careful initialiser and normalisation layers.

## Fix safety
`review`: clipping changes the optimisation path of every step whose gradient is large;
a lower learning rate trains more slowly.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from gradmagic.evidence.data_origin import last_assignment
from gradmagic.fixes import make_fix
from gradmagic.fixes.layers import replace_assigned_initializer, set_layer_keywords
from gradmagic.report.model import Finding, Fix
from gradmagic.rules import _dynamics as dyn
from gradmagic.rules._shared import layer_line

INIT_MIN_LAYERS = 3
INIT_GROWTH = 2.0  # mean |output| multiplied per layer before any step
INIT_SCALE = 1e3  # and the last hidden layer's outputs this large
INITIALIZER_CLASSES = {"he_normal": "HeNormal", "glorot_uniform": "GlorotUniform"}
from gradmagic.rules.base import Rule, RuleContext


def detect(ctx: RuleContext) -> Iterable[Finding]:
    rec = dyn.recording_of(ctx)
    if rec is None:
        return []
    found = _initialisation(ctx, rec) or _depth(ctx, rec) or _growth(ctx, rec)
    return [found] if found else []


def _initialisation(ctx: RuleContext, rec) -> Finding | None:
    """Before the first step the forward signal already grows layer by layer: the initial weights are too large."""
    shot = rec.activations[0] if rec.activations else None
    if shot is None or shot.step > 1:
        return None
    hidden = [item for item in shot.layers if not item.is_output and item.mean_abs and item.mean_abs > 0]
    if len(hidden) < INIT_MIN_LAYERS:
        return None
    first, last = hidden[0].mean_abs, hidden[-1].mean_abs
    growth = (last / first) ** (1.0 / (len(hidden) - 1)) if np.isfinite(last) else float("inf")
    if growth < INIT_GROWTH or last < INIT_SCALE:
        return None
    layers = [layer for item in hidden if (layer := ctx.fit.model_info.layer(item.layer)) is not None]
    line, fixes = _initializer_fixes(ctx, layers)
    scales = ", ".join(f"{item.layer} {dyn.num(item.mean_abs)}" for item in hidden[:6]) + (" ..." if len(hidden) > 6 else "")
    return RULE.finding(
        f"the initial weights blow the signal up {dyn.num(growth)}x per layer: the last hidden layer "
        f"`{hidden[-1].layer}` outputs values around {dyn.num(last)} before the first step, so the gradients explode",
        line=line or layer_line(ctx.fit, hidden[0].layer) or ctx.fit.line,
        layer=hidden[0].layer,
        step=0,
        evidence={"kind": "initialisation", "growth_per_layer": growth, "threshold": INIT_GROWTH,
                  "first_mean_abs": first, "last_mean_abs": last, "layers": len(hidden)},
        notes=[f"mean |output| per layer before training: {scales}",
               "a variance-preserving initialiser (Glorot, He) keeps it near 1 through any depth"],
        help="use a variance-scaled initialiser: drop `kernel_initializer` (Glorot is the default) or use "
             '`"he_normal"` for ReLU layers',
        fixes=fixes + _fixes(ctx, rec),
    )


def _initializer_fixes(ctx: RuleContext, layers: list) -> tuple[int | None, list[Fix]]:
    """Where the too-large initialiser is written and the fix that replaces it."""
    source = ctx.source.text
    chosen = [(layer, code) for layer in layers
              if (code := dyn.layer_keyword(ctx, layer, "kernel_initializer")) is not None]
    if not chosen:
        return None, []
    layer, code = chosen[0]
    wanted = dyn.initializer_for(layer.activation)
    assigned = last_assignment(ctx.source.tree, layer.line, code) if code.isidentifier() else None
    if assigned is not None:  # ``init = RandomNormal(stddev=1.0)`` shared by the layers: replace it there
        constructor = INITIALIZER_CLASSES[wanted.strip('"')]
        patched = replace_assigned_initializer(source, assigned.lineno, code, constructor)
        fix = make_fix("initializer", f"make `{code}` a {constructor} initialiser (line {assigned.lineno})", "review",
                       source, patched, "variance-scaled weights keep the signal at unit scale through every layer")
        return assigned.lineno, [fix] if fix else []
    patched = set_layer_keywords(source, [(dyn.layer_call(ctx, item), {"kernel_initializer": dyn.initializer_for(
        item.activation)}) for item, _ in chosen])
    fix = make_fix("initializer", f"use `kernel_initializer={wanted}`", "review", source, patched,
                   "variance-scaled weights keep the signal at unit scale through every layer")
    return layer.line, [fix] if fix else []


def _depth(ctx: RuleContext, rec) -> Finding | None:
    kernels = dyn.kernel_layers(rec)
    if len(kernels) < 2:
        return None
    first, last = rec.series("grad_norm", kernels[0]), rec.series("grad_norm", kernels[-1])
    if len(first["mean"]) != len(last["mean"]) or not len(first["mean"]):
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = first["mean"] / last["mean"]
    window = dyn.finite(dyn.early(first["steps"], ratios))
    if not window.size or np.median(window) <= dyn.EXPLODE_RATIO:
        return None
    ratio = float(np.median(window))
    step = dyn.first_step_where(first["steps"], ratios > dyn.EXPLODE_RATIO)
    layer = kernels[0]
    return RULE.finding(
        f"the gradient of the first layer `{layer}` is {dyn.num(ratio)} times that of the last layer "
        f"`{kernels[-1]}`",
        line=layer_line(ctx.fit, layer) or ctx.fit.line,
        layer=layer,
        step=step,
        evidence={"kind": "depth", "first_layer": layer, "last_layer": kernels[-1], "ratio": ratio,
                  "threshold": dyn.EXPLODE_RATIO,
                  "first_norm": float(np.median(dyn.finite(dyn.early(first["steps"], first["mean"])))),
                  "last_norm": float(np.median(dyn.finite(dyn.early(last["steps"], last["mean"]))))},
        notes=["expected a first/last gradient-norm ratio below 70 (AUTOTRAINER)"],
        help="clip the gradient with `clipnorm=1.0`, and use a Glorot/He initialiser",
        fixes=_fixes(ctx, rec, layer),
    )


def _growth(ctx: RuleContext, rec) -> Finding | None:
    data = rec.series("grad_norm")
    steps, high, mean = data["steps"], data["max"], data["mean"]
    if len(steps) < 4:
        return None
    base_window = dyn.finite(mean[: max(3, len(mean) // 10)])
    if not base_window.size:
        return None
    base = float(np.median(base_window))
    overflowed = data["nonfinite"] > 0
    peak = float(np.nanmax(high)) if np.isfinite(high).any() else base
    growth = peak / base if base > 0 else 0.0
    if growth < dyn.EXPLODE_GROWTH:
        return None
    step = dyn.first_step_where(steps, (high >= 10 * base) | overflowed)
    layer, layer_growth = _fastest_layer(rec)
    at = int(np.flatnonzero(high == peak)[0])
    return RULE.finding(
        f"the gradient norm grew {dyn.num(growth)}x, from {dyn.num(base)} in the first steps to "
        f"{dyn.num(peak)} at step {int(steps[at])}",
        line=dyn.optimizer_line(ctx, layer) or layer_line(ctx.fit, layer) or ctx.fit.line,
        layer=layer,
        step=step,
        evidence={"kind": "growth", "initial_norm": base, "peak_norm": peak, "peak_step": int(steps[at]),
                  "growth": growth, "threshold": dyn.EXPLODE_GROWTH, "layer_growth": layer_growth,
                  "overflowed": bool(overflowed.any()),
                  "learning_rate": dyn.optimizer_of(rec, layer).get("learning_rate"),
                  "clipnorm": dyn.optimizer_of(rec, layer).get("clipnorm")},
        notes=[f"the gradient norm passed 10x its initial level at step {step}"]
        + ([f"then it overflowed to NaN/Inf at step {_overflow_step(rec, steps, overflowed)}"] if overflowed.any() else []),
        help="clip the gradient with `clipnorm=1.0` on the optimizer, or lower the learning rate",
        fixes=_fixes(ctx, rec, layer),
    )


def _overflow_step(rec, steps: np.ndarray, overflowed: np.ndarray) -> int | None:
    """The first step with a NaN/Inf gradient, as GM301 reports it."""
    event = rec.nonfinite.get("gradient")
    return event.step if event is not None else dyn.first_step_where(steps, overflowed)


def _fastest_layer(rec) -> tuple[str | None, float | None]:
    best, best_growth = None, 0.0
    for layer in dyn.kernel_layers(rec, trained_together=False):
        data = rec.series("grad_norm", layer)
        base = dyn.finite(data["mean"][: max(3, len(data["mean"]) // 10)])
        high = dyn.finite(data["max"])
        if not base.size or not high.size or np.median(base) <= 0:
            continue
        growth = float(high.max() / np.median(base))
        if growth > best_growth:
            best, best_growth = layer, growth
    return best, (best_growth or None)


def _fixes(ctx: RuleContext, rec, layer: str | None = None) -> list[Fix]:
    """Clipping and a lower learning rate, on the optimizer that trains ``layer`` when several do."""
    source = ctx.source.text
    fixes: list[Fix | None] = []
    optimizer = dyn.optimizer_of(rec, layer)
    if not optimizer.get("clipnorm") and not optimizer.get("global_clipnorm"):
        fixes.append(make_fix("clipnorm", "clip each gradient to norm 1 (`clipnorm=1.0`)", "review", source,
                              dyn.edit_optimizer(ctx, layer=layer, clipnorm="1.0"),
                              "no single step can be larger than the learning rate"))
    rate = dyn.suggested_rate(rec, dyn.median_update_ratio(rec), lower=True, layer=layer)
    fixes.extend(dyn.learning_rate_fix(ctx, rate, "lower", layer=layer,
                                       reason="the measured updates were far larger than ~1e-3 of the weights"))
    return [fix for fix in fixes if fix is not None]


RULE = Rule(code="GM302", name="exploding-gradients", severity="warning", detect=detect, doc=__doc__)
