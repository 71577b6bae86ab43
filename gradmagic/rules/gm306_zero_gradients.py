"""GM306 zero-gradients: gradients exist but are exactly zero for all or most weights.

## What it does
Counts, at every step inside the compiled train step, the entries of each kernel's gradient
that are exactly 0. Fires when at least 90 % of all of them are 0 over the run and no dead
ReLU layer (GM304) explains it; names the layers whose kernel gradient is entirely 0.

## Why is this bad?
The gradient is connected (so Keras says nothing) but carries no signal: the weights behind
it never change. The classic cause is initialising weights to zeros: every unit computes the
same thing, and with `tanh`/`sigmoid` hidden layers nothing flows back at all.

## Example
```python
keras.layers.Dense(16, activation="tanh", kernel_initializer="zeros")
keras.layers.Dense(1, activation="sigmoid", kernel_initializer="zeros")
```

## Use instead
The default Glorot initialiser (or He for ReLU layers); keep `"zeros"` for biases.

## Fix safety
`review`: a random initialiser changes the starting point of training.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from gradmagic.fixes import make_fix, surrogates
from gradmagic.fixes.layers import set_layer_keywords
from gradmagic.report.model import Finding, Fix
from gradmagic.rules import _dynamics as dyn
from gradmagic.rules._shared import (
    layer_for_scope,
    layer_line,
    names_listed,
    written_spelling,
)
from gradmagic.rules.base import Rule, RuleContext

ALL_ZERO = 0.99
ZERO_INITIALISERS = ("zeros", "Zeros", "Constant(0", "constant(0", "Constant(value=0")


def detect(ctx: RuleContext) -> Iterable[Finding]:
    rec = dyn.recording_of(ctx)
    if rec is None or dyn.dead_layers(rec) or rec.nonfinite:
        return []
    data = rec.series("zero_fraction")
    overall = dyn.median(data["mean"])
    if overall is None or overall < dyn.ZERO_GRADIENTS:
        return []
    fractions = {layer: dyn.median(rec.series("zero_fraction", layer)["mean"]) for layer in rec.layers}
    silent = [layer for layer, value in fractions.items() if value is not None and value >= ALL_ZERO]
    layer = silent[0] if silent else None
    step = dyn.first_step_where(data["steps"], data["mean"] >= dyn.ZERO_GRADIENTS)
    listed = names_listed(silent) or "every layer"
    zeroing = ctx.fit.probe.zeroing if ctx.fit.probe is not None else []
    if zeroing:
        return [_zeroing_op_finding(ctx, zeroing[0], overall, silent, listed, step, fractions, rec)]
    return [RULE.finding(
        f"{int(np.floor(overall * 100))} % of the kernel gradient entries are exactly 0 at every step: {listed} "
        "never change",
        line=layer_line(ctx.fit, layer) or ctx.fit.line,
        layer=layer,
        step=step,
        evidence={"zero_fraction": overall, "threshold": dyn.ZERO_GRADIENTS, "silent_layers": silent,
                  "layer_zero_fractions": fractions, "steps": rec.steps},
        notes=["the gradients are connected (Keras does not warn) but carry no signal",
               "layers' share of exactly-0 gradient entries: "
               + ", ".join(f"{name} {dyn.num(value)}" for name, value in fractions.items())],
        help="initialise the weights randomly: remove `kernel_initializer=\"zeros\"` (Glorot/He are the defaults)",
        fixes=_fixes(ctx, silent),
    )]


def _zeroing_op_finding(ctx: RuleContext, op, overall: float, silent: list[str], listed: str, step,
                        fractions: dict, rec) -> Finding:
    """The gradients are zero because an op on the path (``tf.sign``) has a zero gradient everywhere."""
    source = ctx.source.text
    spelled = written_spelling(ctx.source.line_text(op.line), (op.op_type.lower(),)) or f"`{op.op_type}`"
    fixes: list[Fix] = []
    if op.line is not None:
        patched = surrogates.straight_through_at(source, op.line, (op.op_type.lower(),))
        fix = make_fix("straight-through", f"pass the gradient straight through {spelled} on line {op.line}",
                       "review", source, patched,
                       "the straight-through estimator: same values forward, identity gradient backward")
        if fix:
            fixes.append(fix)
    return RULE.finding(
        f"{spelled} has a zero gradient everywhere, so {int(np.floor(overall * 100))} % of the kernel gradient "
        f"entries are exactly 0 at every step: {listed} never change",
        line=op.line,
        layer=layer_for_scope(ctx.fit, op.layer_scope) or (silent[0] if silent else None),
        step=step,
        evidence={"op": op.op_type, "op_name": op.op_name, "zero_fraction": overall,
                  "threshold": dyn.ZERO_GRADIENTS, "silent_layers": silent, "layer_zero_fractions": fractions,
                  "steps": rec.steps},
        notes=[f"op `{op.op_name}` ({op.op_type}): its derivative is 0 wherever it is defined, so every "
               "weight before it gets a zero gradient"],
        help="use the straight-through estimator `x + tf.stop_gradient(tf.sign(x) - x)`, or a smooth "
             "stand-in such as `tf.tanh` while training",
        fixes=fixes,
    )


def _fixes(ctx: RuleContext, silent: list[str]) -> list[Fix]:
    source = ctx.source.text
    zero_init = [layer for layer in ctx.fit.model_info.layers if layer.line is not None
                 and dyn.layer_has_keyword(ctx, layer, "kernel_initializer", ZERO_INITIALISERS)]
    if not zero_init:
        return []
    patched = set_layer_keywords(source, [(dyn.layer_call(ctx, layer), {
        "kernel_initializer": dyn.initializer_for(layer.activation)}) for layer in zero_init])
    names = names_listed(layer.name for layer in zero_init)
    fix = make_fix("initializer", f"initialise the kernels of {names} randomly (Glorot/He)", "review", source,
                   patched, "random weights break the symmetry, so each unit gets its own gradient")
    return [fix] if fix else []


RULE = Rule(code="GM306", name="zero-gradients", severity="warning", detect=detect, doc=__doc__)
