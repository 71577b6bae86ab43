"""GM310 weights-corrupted: weights became NaN/Inf while the reported loss still looks finite.

## What it does
Counts the NaN/Inf values of every weight after every update, inside the compiled train
step, and fires when a layer's weights turned NaN/Inf while the loss Keras reported on the
following steps was still a finite number.

## Why is this bad?
Nothing in the progress bar says so: a NaN pixel or feature makes the first layer's
gradient NaN, the update writes NaN into its kernel, and pooling or clipping downstream
swallows the NaN so the loss stays finite. The model now outputs a constant (or garbage)
and never learns again.

## Example
```python
x[0, 0, 0, 0] = np.nan                # one bad pixel
model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(4, 3, activation="relu"),
                          keras.layers.MaxPooling2D(), keras.layers.Flatten(), keras.layers.Dense(1)])
model.fit(x, y)                       # loss looks fine, conv2d's kernel is NaN from step 1
```

## Use instead
Clean the data before training (`np.nan_to_num(x)`, or drop the rows), and check it with
`np.isfinite(x).all()`.

## Fix safety
`review`: replacing NaN by 0 is a guess about what the missing values mean.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from gradmagic.fixes import make_fix
from gradmagic.fixes.data import insert_data_lines
from gradmagic.report.model import Finding, Fix
from gradmagic.rules import _dynamics as dyn
from gradmagic.rules._shared import layer_line
from gradmagic.rules.base import Rule, RuleContext


def detect(ctx: RuleContext) -> Iterable[Finding]:
    rec = dyn.recording_of(ctx)
    if rec is None or not dyn.weights_corrupted_quietly(rec):
        return []
    event = rec.nonfinite["weight"]
    layer = event.layers[0] if event.layers else None
    loss = rec.series("loss")
    finite_after = np.isfinite(loss["mean"]) & (loss["steps"] > event.step)
    last_loss = float(loss["mean"][finite_after][-1]) if finite_after.any() else event.loss
    loss_event = rec.nonfinite.get("loss")
    dirty = _dirty_inputs(ctx, rec)
    evidence = {
        "first_step": event.step,
        "layers": list(event.layers),
        "variables": list(event.variables),
        "nonfinite_weights": event.values,
        "nonfinite_variables": event.count,
        "loss_at_step": event.loss,
        "last_finite_loss": last_loss,
        "loss_nonfinite_step": loss_event.step if loss_event else None,
        "nonfinite_inputs": dirty,
    }
    where = f"`{layer}`" if layer else "a layer"
    notes = [f"{event.values} weight value(s) of {where} are NaN/Inf after training; the first turned NaN at "
             f"step {event.step}"]
    if loss_event is None:
        notes.append(f"the loss stayed finite to the end ({dyn.num(last_loss)}): the model can no longer learn")
    else:
        notes.append(f"the loss only turned NaN/Inf at step {loss_event.step}")
    if dirty:
        notes.append(f"the inputs hold {dirty} NaN/Inf value(s): their gradient is NaN (see GM201)")
    return [RULE.finding(
        f"weights of {where} turned NaN at step {event.step} while the reported loss still looks finite "
        f"({dyn.num(event.loss if event.loss is not None else last_loss)})",
        line=layer_line(ctx.fit, layer) or ctx.fit.line,
        layer=layer,
        step=event.step,
        evidence=evidence,
        notes=notes,
        help="remove the NaN/Inf from the training data" if dirty else
        "find the first NaN with `tf.debugging.enable_check_numerics()`: a NaN input or a NaN gradient",
        fixes=_fixes(ctx) if dirty else [],
    )]


def _dirty_inputs(ctx: RuleContext, rec) -> int:
    count = 0
    for stats in getattr(ctx.fit.preflight, "inputs", None) or []:
        count += int(getattr(stats, "nonfinite", 0) or 0)
    if not count and (rec.origin or {}).get("stage") == "data":
        count = 1
    return count


def _fixes(ctx: RuleContext) -> list[Fix]:
    found = dyn.input_origin(ctx)
    if found is None:
        return []
    name, line, _ = found
    patched = insert_data_lines(ctx.source.text, line, f"{name} = {{np}}.nan_to_num({name}, nan=0.0, posinf=0.0, "
                                                          "neginf=0.0)")
    fix = make_fix("nan-to-num", f"replace NaN/Inf in `{name}` by 0 after line {line}", "review", ctx.source.text,
                   patched, "no NaN reaches the gradient, so no update writes NaN into the weights")
    return [fix] if fix else []


RULE = Rule(code="GM310", name="weights-corrupted", severity="error", detect=detect, doc=__doc__)
