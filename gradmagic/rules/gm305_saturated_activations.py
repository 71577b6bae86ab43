"""GM305 saturated-activations: most sigmoid/tanh units sit in their flat regions.

## What it does
At the start of training and after every epoch, runs the layers on the batch gradmagic
sampled (in inference mode) and measures, per hidden sigmoid/tanh layer, the share of
outputs whose input lies beyond ±5, where the activation is flat. Fires above 50 %
(DeepDiagnosis' threshold) when the layer was saturated from the start, or when the loss
stopped going down (by less than 5 %) after it saturated. Output layers are left out: a confident classifier's sigmoid
is meant to saturate.

## Why is this bad?
Beyond ±5 the derivative of sigmoid is below 0.007 and that of tanh below 0.0002: the
gradient through the layer all but vanishes and the layers before it stop learning.

## Example
```python
x = np.random.rand(64, 6) * 1000.0                     # unscaled inputs
keras.layers.Dense(16, activation="sigmoid")           # pre-activations in the hundreds
```

## Use instead
Standardise the inputs, keep the default Glorot initialiser, or use ReLU-family activations.

## Fix safety
`review`: rescaling the data or changing the initialiser changes what is trained; inputs to
`evaluate`/`predict` need the same scaling.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from gradmagic.fixes import make_fix
from gradmagic.fixes.layers import set_layer_keyword
from gradmagic.report.model import Finding, Fix
from gradmagic.rules import _dynamics as dyn
from gradmagic.rules._shared import layer_line
from gradmagic.rules.base import Rule, RuleContext

INPUT_SCALE_LIMIT = 20.0
STILL_LEARNING = 0.05  # a loss that still fell 5 % after the layer saturated has not stalled on it


def detect(ctx: RuleContext) -> Iterable[Finding]:
    rec = dyn.recording_of(ctx)
    if rec is None or not rec.activations:
        return
    for item in rec.activations[-1].layers:
        if item.saturated_fraction is None or item.is_output or item.saturated_fraction <= dyn.SATURATED_FRACTION:
            continue
        since = _saturated_since(rec, item.layer)
        if since > rec.activations[0].step and _still_learning_after(rec, since):
            continue  # saturated late in a run whose loss kept going down: it has not stopped learning
        yield _finding(ctx, rec, item)


def _saturated_since(rec, name: str) -> int:
    return next((shot.step for shot in rec.activations
                 if (found := shot.layer(name)) and (found.saturated_fraction or 0) > dyn.SATURATED_FRACTION),
                rec.activations[-1].step)


def _still_learning_after(rec, step: int) -> bool:
    """The loss went down by more than STILL_LEARNING between the first and the last quarter of the steps
    after ``step``."""
    data = rec.series("loss")
    keep = np.isfinite(data["mean"]) & (data["steps"] >= step)
    mean = data["mean"][keep]
    if mean.size < 4:
        return False
    quarter = max(1, mean.size // 4)
    start, end = float(np.mean(mean[:quarter])), float(np.mean(mean[-quarter:]))
    return start > 0 and (start - end) / start > STILL_LEARNING


def _finding(ctx: RuleContext, rec, item) -> Finding:
    name = item.layer
    since = _saturated_since(rec, name)
    first = rec.activations[0].layer(name)
    share = int(round(item.saturated_fraction * 100))
    return RULE.finding(
        f"{share} % of the outputs of `{name}` ({item.activation}) sit in its flat region, where the gradient is "
        "almost 0",
        line=layer_line(ctx.fit, name) or ctx.fit.line,
        layer=name,
        step=max(1, since),
        evidence={"activation": item.activation, "saturated_fraction": item.saturated_fraction,
                  "saturated_units": item.saturated_units, "units": item.units, "mean_abs_output": item.mean_abs,
                  "initial_saturated_fraction": first.saturated_fraction if first else None,
                  "probe_step": rec.activations[-1].step, "threshold": dyn.SATURATED_FRACTION,
                  "input_scale": dyn.input_scale(ctx)},
        notes=[f"measured on the sampled batch at step {rec.activations[-1].step}: outputs whose input is beyond "
               f"±5; expected at most {int(dyn.SATURATED_FRACTION * 100)} % (DeepDiagnosis)",
               f"{item.saturated_units} of {item.units} units are saturated for most samples"],
        help=_help(ctx, name),
        fixes=_fixes(ctx, name),
    )


def _help(ctx: RuleContext, name: str) -> str:
    scale = dyn.input_scale(ctx)
    if scale is not None and scale > INPUT_SCALE_LIMIT and _is_first(ctx, name):
        return f"standardise the inputs (they reach {dyn.num(scale)})"
    return "use the default Glorot initialiser, or a ReLU-family activation"


def _is_first(ctx: RuleContext, name: str) -> bool:
    rec = ctx.fit.recording
    kernels = dyn.kernel_layers(rec)
    return bool(kernels) and kernels[0] == name


def _fixes(ctx: RuleContext, name: str) -> list[Fix]:
    source = ctx.source.text
    layer = ctx.fit.model_info.layer(name)
    fixes: list[Fix | None] = []
    scale = dyn.input_scale(ctx)
    if scale is not None and scale > INPUT_SCALE_LIMIT and _is_first(ctx, name):
        found = dyn.standardise_inputs(ctx)
        if found:
            patched, array = found
            fixes.append(make_fix("standardise", f"standardise `{array}` before training", "review", source, patched,
                                  "pre-activations near unit scale keep sigmoid/tanh in their slope"))
    if layer is not None and layer.line and dyn.layer_has_keyword(ctx, layer, "kernel_initializer"):
        fixes.append(make_fix("initializer", f"use the Glorot initialiser in `{name}`", "review", source,
                              set_layer_keyword(source, dyn.layer_call(ctx, layer), "kernel_initializer",
                                                '"glorot_uniform"'),
                              "Glorot keeps a tanh/sigmoid layer's pre-activations near unit scale"))
    return [fix for fix in fixes if fix is not None]


RULE = Rule(code="GM305", name="saturated-activations", severity="warning", detect=detect, doc=__doc__)
