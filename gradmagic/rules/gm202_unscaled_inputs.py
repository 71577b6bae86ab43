"""GM202 unscaled-inputs: input features far from unit scale (e.g. raw 0..255 pixels, values in the thousands).

## What it does
Measures the range of each input array (up to 100,000 rows of arrays, or the first batch of
a generator or dataset) and fires when values reach beyond ±20 while the model does not
start with a layer that rescales (`Rescaling`, `Normalization`, a normalisation layer) or
looks values up (`Embedding`, lookup layers).

## Why is this bad?
Keras initialises weights for inputs of about unit scale. Raw pixels (0..255) or features in
the thousands make the first layer's pre-activations hundreds of times too large: ReLUs die,
tanh/sigmoid saturate, the loss starts huge and the default learning rate is wrong for them.
It trains, slowly and badly, with no error.

## Example
```python
x = np.random.randint(0, 256, size=(64, 28 * 28)).astype("float32")   # raw pixels
model.fit(x, y)
```

## Use instead
```python
x = x / 255.0
# or put the scaling into the model:
keras.layers.Normalization(mean=x.mean(axis=0), variance=x.var(axis=0))
```

## Fix safety
`review`: scaling the array means every array given to `evaluate`/`predict` must be scaled
the same way; a `Normalization` layer inside the model does that by itself.
"""

from __future__ import annotations

from typing import Iterable

from gradmagic.evidence.facts.preflight import ArrayStats, Preflight
from gradmagic.fixes.data import feature_axes, insert_data_lines, standardise_after
from gradmagic.fixes.layers import insert_layer
from gradmagic.report.model import Finding, Fix
from gradmagic.rules._preflight_common import (
    Editor,
    name_of,
    num,
    plain_name,
    preflight_of,
    ranked,
)
from gradmagic.rules.base import Rule, RuleContext

SCALE_LIMIT = 20.0
SCALING_LAYERS = {
    "Rescaling", "Normalization", "BatchNormalization", "LayerNormalization", "GroupNormalization",
    "UnitNormalization", "Embedding", "Discretization", "CategoryEncoding", "Hashing", "IntegerLookup",
    "StringLookup", "TextVectorization", "Resizing", "CenterCrop",
}


def detect(ctx: RuleContext) -> Iterable[Finding]:
    preflight = preflight_of(ctx)
    if preflight is None:
        return
    editor = Editor(ctx)
    for stats in preflight.inputs:
        if stats.min is None or stats.dtype == "bool" or _rescaled(preflight, stats):
            continue
        scale = max(abs(stats.min), abs(stats.max))
        if scale > SCALE_LIMIT:
            yield _finding(editor, preflight, stats, scale)


def _rescaled(preflight: Preflight, stats: ArrayStats) -> bool:
    """The input is read only by layers that rescale it or look it up (ids into an `Embedding` are not features)."""
    readers = preflight.input_readers.get(stats.argument)
    if readers:
        return set(readers) <= SCALING_LAYERS
    return bool(set(preflight.input_layers) & SCALING_LAYERS)


def pixel_like(stats: ArrayStats) -> bool:
    return bool(stats.integral and stats.min is not None and stats.min >= 0 and 1 < stats.max <= 255)


def _finding(editor: Editor, preflight: Preflight, stats: ArrayStats, scale: float) -> Finding:
    name = name_of(stats)
    evidence = {"array": name, "min": stats.min, "max": stats.max, "mean": stats.mean, "std": stats.std,
                "rows_scanned": stats.rows_scanned, "pixel_like": pixel_like(stats)}
    notes = []
    if stats.columns:
        evidence["columns"] = stats.columns
    first = preflight.input_layers[0] if preflight.input_layers else None
    if pixel_like(stats):
        notes.append("integer values 0..255 look like raw pixel intensities")
    return RULE.finding(
        f"inputs `{name}` range {num(stats.min)}..{num(stats.max)} (mean {num(stats.mean)}), far from the unit "
        "scale the first layer's initial weights assume",
        line=stats.final_line or editor.ctx.fit.line,
        evidence=evidence,
        notes=notes + ([f"the first layer is a `{first}`, which does not rescale its inputs"] if first else []),
        help=("divide the pixels by 255" if pixel_like(stats)
              else "standardise the inputs, or start the model with a `keras.layers.Normalization` layer"),
        fixes=_fixes(editor, stats),
    )


def _first_layer(editor: Editor):
    layers = [layer for layer in editor.layers if layer.parent is None and layer.class_name != "InputLayer"]
    return layers[0] if layers else None


def _axes(stats: ArrayStats) -> str:
    return feature_axes(len(stats.shape))


def _fixes(editor: Editor, stats: ArrayStats) -> list[Fix]:
    if not plain_name(stats):
        return []
    name, line = stats.origin.expression, stats.final_line  # rescale the array fit gets
    fixes: list[Fix | None] = []
    divide = insert_data_lines(editor.source, line, f"{name} = {name} / 255.0")
    standardise = standardise_after(editor.source, line, name, len(stats.shape))
    anchor = _first_layer(editor)
    layer = None
    if anchor is not None and anchor.line is not None and anchor.line > line \
            and editor.ctx.fit.model_info.class_name == "Sequential" and len(editor.ctx.fit.preflight.inputs) == 1:
        layer = insert_layer(editor.source, editor.layer_call(anchor),
                             f"keras.layers.Normalization(mean={name}.mean(axis={_axes(stats)}), "
                             f"variance={name}.var(axis={_axes(stats)}))")
    normalization = editor.fix("normalization-layer", "start the model with a `keras.layers.Normalization` layer "
                               f"set from `{name}`", layer,
                               "the model standardises every input itself, also in `evaluate` and `predict`")
    if pixel_like(stats):
        fixes.append(editor.fix("divide-by-255", f"divide `{name}` by 255 after line {line}", divide,
                                "pixels in 0..1; scale test and prediction inputs the same way"))
        fixes.append(normalization)
    else:
        fixes.append(normalization)
        fixes.append(editor.fix("standardise", f"standardise `{name}` after line {line}", standardise,
                                "each feature gets mean 0 and standard deviation 1; scale test inputs with the "
                                "training mean and std"))
    return ranked(*fixes)


RULE = Rule(code="GM202", name="unscaled-inputs", severity="warning", detect=detect, doc=__doc__)
