"""GM304 dead-units: most units of a ReLU-family layer output zero for every sample.

## What it does
At the start of training and after every epoch, runs the layers on the batch gradmagic
sampled (in inference mode, without touching the training data stream) and counts, per
ReLU/ReLU6 layer, the units whose output is 0 for every sample. Fires when at least 70 %
of a hidden layer's units are dead (DeepDiagnosis' threshold); the step where it started is
the first at which 70 % of the layer's gradients were exactly zero (AUTOTRAINER's dying
ReLU).

Where the layers cannot be run on their own (a subclassed model, a GAN's generator and
discriminator inside a custom `train_step`), the train step itself tells: a unit that outputs 0
for every sample gets a bias gradient of exactly 0. Fires when, over the last quarter of the
run, at least 70 % of a hidden ReLU layer's units got none.

## Why is this bad?
A dead ReLU unit has zero gradient for every input, so it never comes back: the layer is
narrower than written, or passes nothing at all, and everything before it stops learning.

## Example
```python
keras.layers.Dense(32, activation="relu", bias_initializer=keras.initializers.Constant(-5.0))
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1.0), ...)   # kills units too
```

## Use instead
A leaky activation (`"leaky_relu"`, `"elu"`), a sane learning rate, a He initialiser and
zero biases, or `BatchNormalization` before the activation.

## Fix safety
`review`: another activation or learning rate changes the model and how it trains.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from gradmagic.fixes import make_fix
from gradmagic.fixes.layers import edit_each_line, set_activation
from gradmagic.report.model import Finding, Fix
from gradmagic.rules import _dynamics as dyn
from gradmagic.rules._shared import layer_line, names_listed
from gradmagic.rules.base import Rule, RuleContext


def detect(ctx: RuleContext) -> Iterable[Finding]:
    rec = dyn.recording_of(ctx)
    if rec is None:
        return
    probed = set()
    if rec.activations:
        last = rec.activations[-1]
        probed = {item.layer for item in last.layers}
        for item in last.layers:
            if item.dead_fraction is None or item.is_output or item.dead_fraction < dyn.DEAD_FRACTION:
                continue
            yield _finding(ctx, rec, item)
    outputs = _last_layers(ctx, rec)
    for layer in dyn.relu_layers(ctx):
        if layer.name not in probed and layer.name not in outputs:
            found = _from_gradients(ctx, rec, layer.name)
            if found is not None:
                yield found


def _finding(ctx: RuleContext, rec, item) -> Finding:
    name = item.layer
    last = rec.activations[-1]
    first = rec.activations[0].layer(name)
    probe_step = next((shot.step for shot in rec.activations
                       if (found := shot.layer(name)) and (found.dead_fraction or 0) >= dyn.DEAD_FRACTION), last_step(rec))
    zero = rec.series("zero_fraction", name) if rec.history.has(f"zero_fraction/{name}") else None
    step = dyn.first_step_where(zero["steps"], zero["mean"] >= dyn.DYING_ZERO_GRADIENTS) if zero is not None else None
    if step is None:
        step = max(1, probe_step)
    zero_now = float(dyn.finite(zero["mean"])[-1]) if zero is not None and dyn.finite(zero["mean"]).size else None
    ratio = dyn.median_update_ratio(rec)
    evidence = {
        "dead_units": item.dead_units, "units": item.units, "dead_fraction": item.dead_fraction,
        "initial_dead_fraction": first.dead_fraction if first else None, "probe_step": last.step,
        "zero_gradient_fraction": zero_now, "threshold": dyn.DEAD_FRACTION, "update_ratio": ratio,
        "first_dead_probe_step": probe_step,
    }
    notes = [f"measured on the sampled batch at step {last.step}; "
             f"expected fewer than {int(dyn.DEAD_FRACTION * 100)} % dead units (DeepDiagnosis)"]
    if first is not None and first.dead_fraction is not None:
        notes.append(f"{int(round(first.dead_fraction * 100))} % were dead before the first step")
    if zero_now is not None:
        notes.append(f"{int(round(zero_now * 100))} % of the kernel's gradient entries are exactly 0")
    high_rate = ratio is not None and ratio >= dyn.HIGH_UPDATE_RATIO
    early = dyn.early_update_ratio(rec)
    killed = not high_rate and dyn.died_during_training(rec) and early is not None and early >= dyn.HIGH_UPDATE_RATIO
    if killed:  # alive before the first step, dead after a few huge updates: the learning rate did it
        ratio, high_rate = early, True
        evidence["early_update_ratio"] = early
        notes.append(f"the first steps changed the weights by up to {dyn.num(early)} of their size "
                     "(healthy: about 1e-3); after that the dead units got no gradient and stopped moving")
    return RULE.finding(
        f"{item.dead_units} of {item.units} units of `{name}` ({int(round(item.dead_fraction * 100))} %) output 0 "
        "for every sample: they are dead and cannot learn"
        + (", killed by too large first updates" if killed else ""),
        line=(dyn.optimizer_line(ctx) if killed else None) or layer_line(ctx.fit, name) or ctx.fit.line,
        layer=name,
        step=step,
        evidence=evidence,
        notes=notes,
        help="lower the learning rate" if high_rate else
        'use `activation="leaky_relu"` (or add BatchNormalization before the ReLU)',
        fixes=_fixes(ctx, rec, name, ratio, high_rate),
    )


def _last_layers(ctx: RuleContext, rec) -> set[str]:
    """The last layer with weights of the model and of each sub-model (their outputs: a ReLU
    output may be 0 for every sample by design)."""
    last: dict[str | None, str] = {}
    for name in rec.layers:
        info = ctx.fit.model_info.layer(name)
        last[info.parent if info is not None else None] = name
    return set(last.values())


def _from_gradients(ctx: RuleContext, rec, name: str) -> Finding | None:
    """Dead units seen in the train step: units whose bias gradient was exactly 0 for the whole batch."""
    if not rec.history.has(f"zero_grad_units/{name}"):
        return None
    data = rec.series("zero_grad_units", name)
    keep = np.isfinite(data["mean"])
    steps, values = data["steps"][keep], data["mean"][keep]
    units = sum(slot.units for slot in rec.slots if slot.layer == name)
    if not values.size or not units:
        return None
    fraction = float(np.median(dyn.late(values)))
    if fraction < dyn.DEAD_FRACTION or _silenced_downstream(rec, name):
        return None
    dead = int(round(fraction * units))
    step = dyn.first_step_where(steps, values >= dyn.DEAD_FRACTION) or 1
    initial = float(values[0])
    ratio = dyn.median_update_ratio(rec)
    early = dyn.early_update_ratio(rec)
    killed = initial <= fraction - dyn.DIED_MARGIN and early is not None and early >= dyn.HIGH_UPDATE_RATIO
    high_rate = killed or (ratio is not None and ratio >= dyn.HIGH_UPDATE_RATIO)
    if killed:
        ratio = early
    notes = [f"measured in the train step over the last {len(dyn.late(values))} recorded points: a unit that "
             "outputs 0 for every sample gets a bias gradient of exactly 0 (the layers cannot be run on their "
             "own here, e.g. inside a subclassed model)",
             f"{int(round(initial * 100))} % of the units got no gradient in the first step"]
    if killed:
        notes.append(f"the first steps changed the weights by up to {dyn.num(early)} of their size "
                     "(healthy: about 1e-3); after that the dead units got no gradient and stopped moving")
    return RULE.finding(
        f"{dead} of {units} units of `{name}` ({int(round(fraction * 100))} %) output 0 for every sample: "
        "they get no gradient, are dead and cannot learn" + (", killed by too large first updates" if killed else ""),
        line=(dyn.optimizer_line(ctx, layer=name) if killed else None) or layer_line(ctx.fit, name) or ctx.fit.line,
        layer=name,
        step=step,
        evidence={"dead_units": dead, "units": units, "dead_fraction": round(fraction, 4),
                  "initial_dead_fraction": round(initial, 4), "measured_by": "gradients", "first_dead_step": step,
                  "threshold": dyn.DEAD_FRACTION, "update_ratio": ratio},
        notes=notes,
        help="lower the learning rate" if high_rate else
        'use `activation="leaky_relu"` (or add BatchNormalization before the ReLU)',
        fixes=_fixes(ctx, rec, name, ratio, high_rate),
    )


def _silenced_downstream(rec, name: str) -> bool:
    """No layer after ``name`` trained by the same optimizer got a gradient at the end either: the
    gradient stopped further down (a dead layer there, a saturated discriminator), not in ``name``."""
    group = next((set(entry.get("layers") or []) for entry in rec.optimizers if name in (entry.get("layers") or [])),
                 set(rec.layers))
    after = [layer for layer in rec.layers[rec.layers.index(name) + 1:] if layer in group]
    for layer in after:
        norms = dyn.finite(rec.series("grad_norm", layer)["mean"])
        if norms.size and float(np.median(dyn.late(norms))) > 0:
            return False
    return True


def last_step(rec) -> int:
    return rec.activations[-1].step if rec.activations else rec.steps


def _fixes(ctx: RuleContext, rec, name: str, ratio, high_rate: bool) -> list[Fix]:
    source = ctx.source.text
    layer = ctx.fit.model_info.layer(name)
    fixes: list[Fix | None] = []
    if high_rate:
        rate = dyn.suggested_rate(rec, ratio, lower=True, layer=name)
        fixes.extend(dyn.learning_rate_fix(ctx, rate, "lower", layer=name,
                                           reason=f"updates were {dyn.num(ratio)} of the weights per step; large "
                                           "steps push ReLU units into the region where they never fire again"))
    dead = [found for dead_name in dyn.dead_layers(rec) if (found := ctx.fit.model_info.layer(dead_name))]
    if layer is not None and layer not in dead:
        dead.append(layer)
    names = names_listed(item.name for item in dead)
    fixes.append(make_fix("leaky-relu", f'use `activation="leaky_relu"` in {names}', "review", source,
                          edit_each_line(source, [dyn.layer_call(ctx, item) for item in dead],
                                         lambda text, call: set_activation(text, call, "leaky_relu",
                                                                           add_missing=False)),
                          "a leaky ReLU keeps a small gradient for negative inputs, so units can recover"))
    return [fix for fix in fixes if fix is not None]


RULE = Rule(code="GM304", name="dead-units", severity="warning", detect=detect, doc=__doc__)
