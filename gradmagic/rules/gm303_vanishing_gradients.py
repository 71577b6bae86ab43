"""GM303 vanishing-gradients: gradient norms in early layers are negligible against late layers.

## What it does
Measures the gradient norm of every layer at every step, inside the compiled train step,
and fires when, over the first steps, the first layer's gradient norm is below 1e-4 and
below 1e-3 of the last layer's (AUTOTRAINER's thresholds).

## Why is this bad?
The early layers barely move: the network trains as if it were only its last layers deep,
and the loss creeps down slowly or not at all.

## Example
```python
model = keras.Sequential([keras.Input((8,)),
                          *[keras.layers.Dense(16, activation="sigmoid") for _ in range(8)],
                          keras.layers.Dense(1, activation="sigmoid")])
```

## Use instead
ReLU-family activations with a He initialiser for deep stacks, a Glorot initialiser for
tanh/sigmoid (not a tiny `RandomNormal`), normalisation layers between blocks.

## Fix safety
`review`: another activation or initialiser changes the model that is trained.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from gradmagic.evidence.facts.recording import SATURATING
from gradmagic.fixes import make_fix
from gradmagic.fixes.layers import set_layer_keywords
from gradmagic.report.model import Finding, Fix
from gradmagic.rules import _dynamics as dyn
from gradmagic.rules._shared import layer_line
from gradmagic.rules.base import Rule, RuleContext

ALL_ZERO = 0.99


def detect(ctx: RuleContext) -> Iterable[Finding]:
    rec = dyn.recording_of(ctx)
    if rec is None:
        return []
    kernels = dyn.kernel_layers(rec)
    if len(kernels) < 2:
        return []
    first, last = rec.series("grad_norm", kernels[0]), rec.series("grad_norm", kernels[-1])
    if len(first["mean"]) != len(last["mean"]) or not len(first["mean"]):
        return []
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = first["mean"] / last["mean"]
    window = dyn.finite(dyn.early(first["steps"], ratios))
    norms = dyn.finite(dyn.early(first["steps"], first["mean"]))
    if not window.size or not norms.size:
        return []
    ratio, norm = float(np.median(window)), float(np.median(norms))
    if not (ratio < dyn.VANISH_RATIO and norm < dyn.VANISH_FIRST_NORM):
        return []
    zeros = dyn.median(rec.series("zero_fraction", kernels[0])["mean"])
    if (zeros is not None and zeros >= ALL_ZERO) or rec.nonfinite:
        return []  # exactly zero is GM304/GM306's story, NaN is GM301/GM310's
    step = dyn.first_step_where(first["steps"], (ratios < dyn.VANISH_RATIO) & (first["mean"] < dyn.VANISH_FIRST_NORM))
    per_layer = {layer: dyn.median(dyn.early(first["steps"], rec.series("grad_norm", layer)["mean"]))
                 for layer in kernels}
    layer = kernels[0]
    return [RULE.finding(
        f"the gradient of the first layer `{layer}` ({dyn.num(norm)}) is {dyn.num(ratio)} of the last layer's "
        f"`{kernels[-1]}` ({dyn.num(norm / ratio if ratio else None)})",
        line=layer_line(ctx.fit, layer) or ctx.fit.line,
        layer=layer,
        step=step,
        evidence={"first_layer": layer, "last_layer": kernels[-1], "first_norm": norm, "ratio": ratio,
                  "threshold_ratio": dyn.VANISH_RATIO, "threshold_norm": dyn.VANISH_FIRST_NORM,
                  "layer_norms": per_layer},
        notes=["expected the first layer's gradient norm above 1e-4 and above 1e-3 of the last layer's "
               "(AUTOTRAINER)", "layer gradient norms, first to last: "
               + ", ".join(f"{name} {dyn.num(value)}" for name, value in per_layer.items())],
        help="use ReLU with a He initialiser, or a Glorot initialiser for tanh/sigmoid, or add BatchNormalization",
        fixes=_fixes(ctx, kernels),
    )]


def _hidden(ctx: RuleContext, kernels: list[str]):
    layers = [ctx.fit.model_info.layer(name) for name in kernels[:-1]]
    return [layer for layer in layers if layer is not None and layer.line is not None]


def _fixes(ctx: RuleContext, kernels: list[str]) -> list[Fix]:
    source = ctx.source.text
    hidden = _hidden(ctx, kernels)
    fixes: list[Fix | None] = []
    with_initializer = [layer for layer in hidden if dyn.layer_has_keyword(ctx, layer, "kernel_initializer")]
    if with_initializer:
        patched = set_layer_keywords(source, [(dyn.layer_call(ctx, layer), {
            "kernel_initializer": dyn.initializer_for(layer.activation)}) for layer in with_initializer])
        fixes.append(make_fix("initializer", "use the default Glorot/He initialiser for the hidden layers", "review",
                              source, patched, "keeps each layer's output and gradient at the scale of its input"))
    squashing = [layer for layer in hidden if layer.activation in SATURATING]
    if squashing and not with_initializer:
        patched = set_layer_keywords(source, [(dyn.layer_call(ctx, layer), {
            "activation": '"relu"', "kernel_initializer": '"he_normal"'}) for layer in squashing])
        fixes.append(make_fix("relu", "use ReLU with a He initialiser in the hidden layers", "review", source,
                              patched, "ReLU passes the gradient unchanged where it is active; sigmoid shrinks it "
                              "at least 4x per layer"))
    return [fix for fix in fixes if fix is not None]


RULE = Rule(code="GM303", name="vanishing-gradients", severity="warning", detect=detect, doc=__doc__)
