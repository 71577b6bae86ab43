"""GM105 label-encoding-mismatch: one-hot targets with a sparse loss, integer targets with a categorical loss, class ids outside the number of output units.

## What it does
Reads how the targets encode the classes over the scanned rows (one-hot rows, or one integer
class id per row) and compares it with the encoding the loss expects:
`sparse_categorical_crossentropy` takes ids, `categorical_crossentropy` takes one-hot rows,
`binary_crossentropy` takes 0/1. Also counts class ids the output layer has no unit for.

## Why is this bad?
Keras 3 raises a shape error at the first step for one-hot targets with a sparse loss and
for ids with a categorical loss, naming neither the targets nor the fix. Ids at or above the
number of units raise `Received a label value of 9 which is outside the valid range of
[0, 5)` from deep inside TensorFlow.

## Example
```python
y = np.random.randint(0, 10, size=64)                     # class ids
model.compile(optimizer="adam", loss="categorical_crossentropy")
```

## Use instead
```python
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
```

## Fix safety
`review`: switching the loss keeps the targets; converting the targets (`to_categorical`,
`argmax`) keeps the loss but changes the arrays for every later use.
"""

from __future__ import annotations

from typing import Iterable

from gradmagic.evidence.facts.preflight import OutputCheck
from gradmagic.fixes.data import insert_data_lines, unscale_at
from gradmagic.fixes.losses import loss_code
from gradmagic.report.model import Finding, Fix
from gradmagic.rules._preflight_common import (
    Editor,
    head_label,
    heads,
    loss_spelling,
    name_of,
    num,
    ranked,
    value_range,
)
from gradmagic.rules.base import Rule, RuleContext


def detect(ctx: RuleContext) -> Iterable[Finding]:
    editor = Editor(ctx)
    for head in heads(ctx):
        if (head.units or 0) < 2 or head.targets is None:
            continue
        finding = (_one_hot_for_sparse(editor, head) or _ids_for_categorical(editor, head)
                   or _fractional_ids(editor, head) or _ids_out_of_range(editor, head))
        if finding is not None:
            yield finding


def _evidence(head: OutputCheck, **extra) -> dict:
    targets = head.targets
    return {"loss": head.loss.name or head.loss.spelled, "target_encoding": head.target_kind,
            "target_shape": list(targets.shape), "output_units": head.units,
            "target_min": targets.min, "target_max": targets.max, "target_classes": head.target_classes,
            "output": head.key, **extra}


def _layer(head: OutputCheck) -> str | None:
    return head.units_layer.name if head.units_layer else head.layer


def _data_fix(editor: Editor, head: OutputCheck, fix_id: str, title: str, code: str, reason: str) -> Fix | None:
    origin = head.targets.origin if head.targets else None
    if origin is None or not origin.editable:
        return None
    patched = insert_data_lines(editor.source, origin.line, code.replace("{y}", origin.name))
    return editor.fix(fix_id, title.replace("{y}", origin.name), patched, reason)


def _one_hot_for_sparse(editor: Editor, head: OutputCheck) -> Finding | None:
    if head.loss.family != "sparse" or head.relation != "same" or head.target_kind != "one-hot":
        return None
    columns = head.targets.shape[-1]
    categorical = loss_code("categorical_crossentropy", head.loss.from_logits)
    return RULE.finding(
        f"targets{head_label(head, editor.head_count)} are one-hot rows of {columns} columns but "
        f"`{loss_spelling(head)}` expects one class id per row",
        line=editor.loss_line(head),
        layer=_layer(head),
        evidence=_evidence(head),
        notes=[f"`{name_of(head.targets)}` has shape {tuple(head.targets.shape)}: each row is 0 except one 1"],
        help=f"use `loss={categorical}` for one-hot targets",
        fixes=ranked(
            editor.fix("categorical-loss", f"use `loss={categorical}`", editor.set_loss(editor.source, head, categorical),
                       "the categorical loss reads one-hot rows as they are"),
            _data_fix(editor, head, "argmax-targets", "turn `{y}` into class ids with `argmax`",
                      "{y} = {y}.argmax(axis=-1)", "the sparse loss then gets the class id of each row"),
        ),
    )


def _ids_for_categorical(editor: Editor, head: OutputCheck) -> Finding | None:
    if head.loss.family not in ("categorical", "binary") or head.relation not in ("ids", "ids-column"):
        return None
    targets = head.targets
    if head.target_kind not in ("integer", "binary") or targets.min is None or targets.min < 0:
        return None
    if head.loss.family == "binary" and (targets.max or 0) <= 1:
        return None
    units = head.units
    sparse = loss_code("sparse_categorical_crossentropy", head.loss.from_logits)
    fixes: list[Fix | None] = []
    patched = editor.source
    if head.loss.family == "binary" and head.activation == "sigmoid":
        patched = editor.set_activation(patched, head, "softmax")
    fixes.append(editor.fix("sparse-loss", f"use `loss={sparse}`" + (
        ' with `activation="softmax"`' if patched != editor.source else ""),
        editor.set_loss(patched, head, sparse), "the sparse loss reads one class id per row"))
    if head.loss.family == "categorical" and (targets.max or 0) < (units or 0):
        fixes.append(_data_fix(editor, head, "one-hot-targets", f"one-hot encode `{{y}}` into {units} columns",
                               f"{{y}} = keras.utils.to_categorical({{y}}, {units})",
                               "the categorical loss then gets one-hot rows"))
    return RULE.finding(
        f"targets{head_label(head, editor.head_count)} are class ids {num(targets.min)}..{num(targets.max)} "
        f"(one per row) but `{loss_spelling(head)}` expects "
        + ("one-hot rows" if head.loss.family == "categorical" else "0/1 values per unit")
        + f" of {units} columns",
        line=editor.loss_line(head),
        layer=_layer(head),
        evidence=_evidence(head),
        notes=[f"`{name_of(targets)}` has shape {tuple(targets.shape)} and the output has {units} units"],
        help=f"use `loss={sparse}` for integer class ids",
        fixes=ranked(*fixes),
    )


def _ids_out_of_range(editor: Editor, head: OutputCheck) -> Finding | None:
    if head.loss.family != "sparse" or head.relation not in ("ids", "ids-column") or not head.ids_out_of_range:
        return None
    targets = head.targets
    units = head.units
    needed = int(targets.max) + 1
    patched = editor.set_units(editor.source, head, needed)
    return RULE.finding(
        f"class ids go up to {num(targets.max)} but the output layer `{_layer(head)}` has {units} units "
        f"(ids 0..{units - 1})",
        line=editor.head_line(head),
        layer=_layer(head),
        evidence=_evidence(head, ids_out_of_range=head.ids_out_of_range, rows_scanned=targets.rows_scanned),
        notes=[f"{head.ids_out_of_range} of {targets.rows_scanned} target values are outside 0..{units - 1}; "
               "TensorFlow raises `Received a label value ... outside the valid range` on them"],
        help=f"give the output layer {needed} units, one per class id",
        fixes=ranked(editor.fix("units-for-ids", f"give the output layer {needed} units", patched,
                                f"one unit per class id 0..{needed - 1}")),
    )


def _fractional_ids(editor: Editor, head: OutputCheck) -> Finding | None:
    """Class ids with fractional parts into a sparse loss: Keras casts them to int, so most become id 0."""
    targets = head.targets
    if head.loss.family != "sparse" or head.relation not in ("ids", "ids-column") or targets.integral \
            or targets.min is None or targets.min < 0 or targets.max is None:
        return None
    line = targets.line or editor.ctx.fit.line
    fix = None
    if targets.line is not None:
        patched = unscale_at(editor.source, targets.line)
        fix = editor.fix("keep-integer-ids", f"keep the class ids integers: undo the scaling on line {targets.line}",
                         patched, "a sparse loss reads each target as an integer class id 0..K-1")
    return RULE.finding(
        f"targets{head_label(head, editor.head_count)} are fractional ({value_range(targets)}), but "
        f"`{loss_spelling(head)}` reads each target as an integer class id: cast to int they are "
        f"{'all 0' if targets.max < 1 else 'truncated'}",
        line=line,
        layer=_layer(head),
        evidence=_evidence(head, rows_scanned=targets.rows_scanned, integral=False),
        notes=[f"`{name_of(targets)}` is scaled where it is made (line {targets.line}); class ids must stay "
               f"whole numbers 0..{(head.units or 1) - 1}" if targets.line else
               "class ids must stay whole numbers"],
        help="do not scale or normalise the labels: keep them as integer class ids",
        fixes=ranked(fix),
    )


RULE = Rule(code="GM105", name="label-encoding-mismatch", severity="error", detect=detect, doc=__doc__)
