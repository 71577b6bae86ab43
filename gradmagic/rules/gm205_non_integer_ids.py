"""GM205 non-integer-ids: an `Embedding` (or another layer that takes ids) receives values that are not integer ids in `[0, input_dim)`: floats, standardised ids, negatives, ids beyond the vocabulary.

## What it does
Finds the `fit` inputs read directly by an `Embedding`, `CategoryEncoding` or `IntegerLookup`
layer and counts, over the scanned rows, the values with a fractional part, the negative
ones and those at or beyond the layer's `input_dim` (`num_tokens`).

## Why is this bad?
An `Embedding` is a table indexed by integer ids. Keras casts what it gets to `int32`, so
standardised or divided ids (`0.37`, `-1.2`) silently collapse onto a few rows; a negative id
reads a row from the end of the table; an id at or beyond `input_dim` makes TensorFlow raise
`indices[...] = N is not in [0, input_dim)` on CPU (on GPU the lookup returns zeros, silently).

## Example
```python
ids = (tokens - tokens.mean()) / tokens.std()     # ids treated as features
model = keras.Sequential([keras.Input((6,)), keras.layers.Embedding(50, 8), ...])
model.fit(ids, labels)
```

## Use instead
```python
model.fit(tokens, labels)                           # the integer ids themselves
keras.layers.Embedding(int(tokens.max()) + 1, 8)    # one row per id
```

## Fix safety
`review`: feeding the unscaled array changes what every later use of that variable sees;
raising `input_dim` adds rows to the table (and weights) for the ids that were missing.
"""

from __future__ import annotations

from collections.abc import Iterable

from gradmagic.evidence.facts.data import IdInput
from gradmagic.evidence.facts.preflight import ArrayStats
from gradmagic.fixes.data import strip_scaling_at, unscaled_value_at
from gradmagic.fixes.layers import set_size
from gradmagic.report.model import Finding, Fix
from gradmagic.rules._preflight_common import Editor, name_of, num, preflight_of, ranked
from gradmagic.rules.base import Rule, RuleContext

SIZE_ARGUMENT = {"Embedding": "input_dim", "CategoryEncoding": "num_tokens"}


def detect(ctx: RuleContext) -> Iterable[Finding]:
    preflight = preflight_of(ctx)
    if preflight is None:
        return
    editor = Editor(ctx)
    for item in preflight.id_inputs:
        if item.non_integral or item.out_of_range:
            stats = next((s for s in preflight.inputs if s.argument == item.argument), None)
            yield _finding(editor, item, stats)


def _kind(item: IdInput, stats: ArrayStats | None) -> str:
    if item.non_integral or item.negative:
        if stats is not None and stats.mean is not None and stats.std and item.negative \
                and abs(stats.mean) < 0.1 * stats.std and 0.5 < stats.std < 2.0:
            return "standardised"
        return "fractional" if item.non_integral else "negative"
    return "beyond"


def _finding(editor: Editor, item: IdInput, stats: ArrayStats | None) -> Finding:
    kind = _kind(item, stats)
    name = name_of(stats) if stats is not None else item.argument
    if kind != "beyond" and stats is not None and stats.origin is not None and stats.origin.name:
        name = stats.origin.name  # the variable assigned where the values are made
    valid = f"0..{item.input_dim - 1}" if item.input_dim is not None else "integers"
    layer_text = f"{item.class_name} `{item.layer}`"
    evidence = {"array": name, "argument": item.argument, "layer_class": item.class_name, "kind": kind,
                "input_dim": item.input_dim, "min": item.min, "max": item.max,
                "fraction_non_integral": round(item.fraction_non_integral, 4), "non_integral": item.non_integral,
                "out_of_range": item.out_of_range, "negative": item.negative, "beyond": item.beyond,
                "values_scanned": item.values_scanned, "dtype": item.dtype}
    if kind == "standardised":
        evidence.update(mean=stats.mean, std=stats.std)
        message = (f"`{name}` fed to {layer_text} is standardised (mean {num(stats.mean)}, std {num(stats.std)}, "
                   f"{num(item.min)}..{num(item.max)}), not integer ids in {valid}")
    elif kind == "fractional":
        message = (f"`{name}` fed to {layer_text} holds fractions ({num(item.min)}..{num(item.max)}, "
                   f"{round(item.fraction_non_integral * 100)} % not whole), not integer ids in {valid}")
    elif kind == "negative":
        message = f"`{name}` fed to {layer_text} holds {item.negative} negative ids (min {num(item.min)}); ids must be in {valid}"
    else:
        message = (f"ids in `{name}` go up to {num(item.max)} but {layer_text} has "
                   f"{SIZE_ARGUMENT.get(item.class_name, 'input_dim')}={item.input_dim} (ids {valid})")
    wrong_values = kind != "beyond"
    line = (stats.line if stats is not None else None) if wrong_values else item.line
    fixes = _value_fixes(editor, stats) if wrong_values else _size_fixes(editor, item)
    return RULE.finding(
        message,
        line=line or item.line or editor.ctx.fit.line,
        layer=item.layer,
        evidence=evidence,
        notes=_notes(item, kind, stats),
        help=_help(item, kind, name),
        fixes=fixes,
    )


def _notes(item: IdInput, kind: str, stats: ArrayStats | None) -> list[str]:
    notes = []
    if item.non_integral:
        notes.append(f"{item.non_integral} of {item.values_scanned} values have a fractional part; "
                     f"{item.class_name} casts its input to int32, so `0.7` becomes id 0 and `-1.2` becomes -1")
    if item.negative:
        notes.append(f"{item.negative} values are negative: Keras looks a negative id up from the end of the table "
                     "(no error, the wrong row)")
    if item.beyond and item.class_name != "Embedding":
        notes.append(f"{item.beyond} values are >= {item.input_dim}: {item.class_name} raises no error for them, "
                     "but they get no category of their own")
    elif item.beyond:
        notes.append(f"{item.beyond} values are >= {item.input_dim}: on CPU TensorFlow raises "
                     f"`indices[...] = {num(item.max)} is not in [0, {item.input_dim})` at the first batch; "
                     "on GPU the lookup silently returns zeros")
    if stats is not None and stats.origin is not None and stats.origin.chain and kind != "beyond":
        notes.append("the values are made on line " + str(stats.line) + ", then copied: "
                     + "; ".join(f"line {line}: `{text}`" for line, text in reversed(stats.origin.chain)))
    return notes


def _help(item: IdInput, kind: str, name: str) -> str:
    if kind == "beyond":
        return (f"give the layer one row per id: `{SIZE_ARGUMENT.get(item.class_name, 'input_dim')}="
                f"{int(item.max or 0) + 1}` (the largest id + 1), or map rare ids to an out-of-vocabulary id")
    return (f"feed the integer ids themselves, before any scaling, standardisation or division; if `{name}` must stay "
            "scaled for another use, keep a separate integer copy for the embedding")


def _size_fixes(editor: Editor, item: IdInput) -> list[Fix]:
    argument = SIZE_ARGUMENT.get(item.class_name)
    layer = editor.ctx.fit.model_info.layer(item.layer)
    if argument is None or layer is None or item.negative or item.max is None:
        return []
    size = int(item.max) + 1
    patched = set_size(editor.source, editor.layer_call(layer), size, (argument,))
    return ranked(editor.fix(f"raise-{argument.replace('_', '-')}", f"set `{argument}={size}` on `{item.layer}`",
                             patched, f"one table row per id 0..{size - 1}, the largest id seen"))


def _value_fixes(editor: Editor, stats: ArrayStats | None) -> list[Fix]:
    """Undo the arithmetic that scaled the ids on the line that makes them (verified by re-checking)."""
    if stats is None or stats.line is None:
        return []
    original = unscaled_value_at(editor.source, stats.line)
    if original is None:
        return []
    return ranked(editor.fix("unscaled-ids", f"feed the integer ids `{original}` unscaled (line {stats.line})",
                             strip_scaling_at(editor.source, stats.line),
                             "the embedding gets whole ids, one table row each, as it expects"))


RULE = Rule(code="GM205", name="non-integer-ids", severity="error", detect=detect, doc=__doc__)
