"""GM204 unscaled-targets: regression targets far from unit scale (e.g. prices in the hundreds of thousands with a linear output and default learning rate).

## What it does
For an output trained with a scale-dependent regression loss (`mse`, `mae`, `huber`,
`log_cosh`), measures the targets' mean and spread and fires when
either reaches 100 or more, unless the output path already rescales (`Rescaling`).

## Why is this bad?
A freshly initialised output starts near 0 and Adam moves each weight by about the learning
rate (1e-3) per step. Reaching targets around 250,000 takes hundreds of thousands of steps:
the loss prints as 8.2e10 and barely moves, with no error.

## Example
```python
y = np.random.uniform(50_000, 500_000, size=(64, 1))   # prices
model.compile(optimizer="adam", loss="mse")
```

## Use instead
```python
y_mean, y_std = y.mean(), y.std()
y = (y - y_mean) / y_std          # predict(x) * y_std + y_mean gives prices back
```
or end the model with `keras.layers.Rescaling(scale=y.std(), offset=y.mean())`.

## Fix safety
`review`: standardising the targets changes the units of `predict`; the `Rescaling` layer
keeps them, and its loss values stay in the targets' units.
"""

from __future__ import annotations

from typing import Iterable

from gradmagic.evidence.facts.preflight import OutputCheck
from gradmagic.fixes.data import insert_data_lines
from gradmagic.fixes.layers import insert_layer
from gradmagic.report.model import Finding, Fix
from gradmagic.rules import _dynamics as dyn
from gradmagic.rules._preflight_common import (
    Editor,
    head_label,
    heads,
    name_of,
    num,
    plain_name,
    ranked,
    value_range,
)
from gradmagic.rules.base import Rule, RuleContext

SCALE_LIMIT = 100.0
SCALED_LOSSES = ("mean_squared_error", "mean_absolute_error", "huber", "huber_loss", "log_cosh")
RESCALING_LAYERS = {"Rescaling", "Normalization", "Lambda"}


def detect(ctx: RuleContext) -> Iterable[Finding]:
    editor = Editor(ctx)
    for head in heads(ctx):
        targets = head.targets
        if head.loss.name not in SCALED_LOSSES or targets is None or targets.mean is None:
            continue
        if head.target_kind in ("one-hot", "binary"):
            continue  # a bounded output that cannot reach its targets is GM106's; their scale is this rule's
        if _rescaled(editor, head):
            continue
        scale = max(abs(targets.mean), targets.std or 0.0)
        if scale >= SCALE_LIMIT:
            yield _finding(editor, head, scale)


def _rescaled(editor: Editor, head: OutputCheck) -> bool:
    layer = editor.ctx.fit.model_info.layer(head.layer) if head.layer else None
    return layer is not None and layer.class_name in RESCALING_LAYERS


def _finding(editor: Editor, head: OutputCheck, scale: float) -> Finding:
    targets = head.targets
    name = name_of(targets)
    notes = [f"a freshly initialised output starts near 0 and {_step_size(editor)}"]
    if head.loss_value is not None:
        notes.append(f"the loss on the first batch is {num(head.loss_value)}")
    return RULE.finding(
        f"regression targets `{name}`{head_label(head, editor.head_count)} range {value_range(targets)} "
        f"(mean {num(targets.mean)}, std {num(targets.std)}), far from the unit scale of a freshly initialised "
        "output",
        line=targets.final_line or editor.ctx.fit.line,
        layer=head.units_layer.name if head.units_layer else head.layer,
        evidence={"array": name, "min": targets.min, "max": targets.max, "mean": targets.mean, "std": targets.std,
                  "loss": head.loss.name, "loss_first_batch": head.loss_value, "rows_scanned": targets.rows_scanned,
                  "output": head.key},
        notes=notes,
        help=f"standardise `{name}` (and un-scale the predictions), or end the model with a `Rescaling` layer",
        fixes=_fixes(editor, head),
    )


def _step_size(editor: Editor) -> str:
    recording = dyn.recording_of(editor.ctx)
    optimizer = recording.optimizer if recording is not None else {}
    name, rate = optimizer.get("class"), optimizer.get("learning_rate")
    if not isinstance(rate, (int, float)):
        return "each step moves a weight by about the learning rate"
    return f"{name or 'the optimizer'} moves each weight by about {num(rate)} per step"


def _fixes(editor: Editor, head: OutputCheck) -> list[Fix]:
    targets = head.targets
    if not plain_name(targets):
        return []
    name, line = targets.origin.expression, targets.final_line  # rescale the array fit gets
    fixes: list[Fix | None] = []
    patched = insert_data_lines(editor.source, line,
                                f"{name}_mean, {name}_std = {name}.mean(), {name}.std()\n"
                                f"{name} = ({name} - {name}_mean) / {name}_std")
    fixes.append(editor.fix("standardise-targets", f"standardise `{name}` after line {line}", patched,
                            f"targets with mean 0 and std 1; `predict(x) * {name}_std + {name}_mean` "
                            "gives the original units"))
    anchor = head.units_layer
    if anchor is not None and anchor.line is not None and anchor.line > line \
            and editor.ctx.fit.model_info.class_name == "Sequential":
        layer = insert_layer(editor.source, editor.layer_call(anchor),
                             f"keras.layers.Rescaling(scale=float({name}.std()), offset=float({name}.mean()))",
                             where="after")
        fixes.append(editor.fix("rescaling-output", "end the model with a `keras.layers.Rescaling` layer set from "
                                f"`{name}`", layer,
                                "the last layer learns at unit scale and the model still predicts in the "
                                "targets' units"))
    return ranked(*fixes)


RULE = Rule(code="GM204", name="unscaled-targets", severity="warning", detect=detect, doc=__doc__)
