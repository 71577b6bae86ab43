"""GM201 nonfinite-data: NaN or Inf in inputs or targets (count, first row and column).

## What it does
Counts NaN and Inf values in the inputs and targets `fit` gets: in up to 100,000 rows of
in-memory arrays, or in the first batch of a generator or `tf.data` pipeline (never more).
Reports the count, the first row and column, and the line that produced the array.

## Why is this bad?
One NaN in a batch makes that step's loss NaN; its gradient writes NaN into every weight it
reaches, and from then on every prediction is NaN. In Keras 3.15 on CPU this happens with a
ReLU layer as well as with tanh: `relu(nan)` is NaN. Keras only prints `loss: nan`.

## Example
```python
x = np.load("features.npy")
x[0, 0] = np.nan                       # a missing value
model.fit(x, y)                        # loss: nan
```

## Use instead
Drop or impute the rows before training:
```python
finite = np.isfinite(x).all(axis=1) & np.isfinite(y).reshape(len(y), -1).all(axis=1)
x, y = x[finite], y[finite]
```

## Fix safety
`review`: dropping rows changes the data set; imputing column means invents values. When a
whole column is NaN because a standardisation divided by a zero standard deviation, the fix
guards the division instead (see GM203).
"""

from __future__ import annotations

import math
from typing import Iterable

from gradmagic.evidence.facts.preflight import ArrayStats, Preflight
from gradmagic.fixes.data import insert_data_lines
from gradmagic.report.model import Finding, Fix
from gradmagic.rules._preflight_common import (
    Editor,
    guard_std_fix,
    is_standardisation,
    name_of,
    num,
    plain_name,
    preflight_of,
    ranked,
)
from gradmagic.rules.base import Rule, RuleContext


def detect(ctx: RuleContext) -> Iterable[Finding]:
    preflight = preflight_of(ctx)
    if preflight is None:
        return
    editor = Editor(ctx)
    for stats in preflight.inputs + preflight.targets:
        if stats.nonfinite:
            yield _finding(editor, preflight, stats)


def _counts(stats: ArrayStats) -> str:
    parts = []
    if stats.nan_count:
        parts.append(f"{stats.nan_count:,} NaN")
    if stats.inf_count:
        parts.append(f"{stats.inf_count:,} Inf")
    return " and ".join(parts)


def _where(stats: ArrayStats) -> str:
    first = stats.first_nonfinite or ()
    if len(first) == 1:
        return f"row {first[0]}"
    if len(first) == 2:
        return f"row {first[0]}, column {first[1]}"
    return f"index {tuple(first)}"


def _finding(editor: Editor, preflight: Preflight, stats: ArrayStats) -> Finding:
    name = name_of(stats)
    single = stats.nonfinite == 1
    message = (f"`{name}` has {_counts(stats)} at {_where(stats)}" if single else
               f"`{name}` has {_counts(stats)} values in {stats.nonfinite_rows:,} rows (first at {_where(stats)})")
    notes = []
    if not stats.complete:
        notes.append(f"counted in {stats.rows_scanned:,} of "
                     f"{'an unknown number of' if stats.rows_total is None else f'{stats.rows_total:,}'} rows")
    notes.extend(_probe_notes(editor, stats))
    first = stats.first_nonfinite or ()
    return RULE.finding(
        message,
        line=stats.line or editor.ctx.fit.line,
        evidence={
            "array": name, "role": stats.role, "nan_count": stats.nan_count, "inf_count": stats.inf_count,
            "rows_with_nonfinite": stats.nonfinite_rows, "first_row": first[0] if first else None,
            "first_column": first[1] if len(first) > 1 else None, "rows_scanned": stats.rows_scanned,
            "rows_total": stats.rows_total, "columns_all_nonfinite": stats.all_nonfinite_columns[:20],
        },
        notes=notes,
        help=f"drop or impute the rows with NaN/Inf in `{name}` before `fit`",
        fixes=_fixes(editor, preflight, stats),
        label=f"`{name}` holds {stats.nonfinite:,} NaN/Inf value(s) from here" if stats.line else None,
    )


def _probe_notes(editor: Editor, stats: ArrayStats) -> list[str]:
    """What one step on the first batch would do, from the gradient probe (when it saw the bad row)."""
    probe = editor.ctx.fit.probe
    first = stats.first_nonfinite or ()
    if probe is None or not first or first[0] >= 64 or not probe.gradients:
        return []
    bad = [g.path for g in probe.gradients if g.norm is not None and not math.isfinite(g.norm)]
    notes = []
    if probe.loss is not None and not math.isfinite(probe.loss):
        notes.append(f"the loss on the first batch is {probe.loss}")
    elif probe.loss is not None:
        notes.append(f"the loss on the first batch still looks finite ({num(probe.loss)})")
    if bad:
        listed = ", ".join(f"`{path}`" for path in bad[:4]) + (" ..." if len(bad) > 4 else "")
        notes.append(f"the gradients of {len(bad)} of {len(probe.gradients)} weight tensors are not finite on that "
                     f"batch ({listed}): the first step writes NaN into those weights")
    return notes


def _fixes(editor: Editor, preflight: Preflight, stats: ArrayStats) -> list[Fix]:
    fixes: list[Fix | None] = []
    if stats.all_nonfinite_columns and is_standardisation(editor.source, stats.line):
        fixes.append(guard_std_fix(editor, stats))
    pair = _row_filter(editor, preflight, stats)
    if pair is not None:
        fixes.append(pair)
    if stats.role == "inputs" and not stats.all_nonfinite_columns and len(stats.shape) == 2 and plain_name(stats):
        name = stats.origin.name
        patched = insert_data_lines(
            editor.source, stats.origin.line,
            f"{name} = {{np}}.where({{np}}.isfinite({name}), {name}, "
            f"{{np}}.nanmean({{np}}.where({{np}}.isfinite({name}), {name}, {{np}}.nan), axis=0))")
        fixes.append(editor.fix("impute-column-means", f"replace NaN/Inf in `{name}` by column means", patched,
                                "keeps every row; the filled values carry no information"))
    return ranked(*fixes)


def _row_filter(editor: Editor, preflight: Preflight, stats: ArrayStats) -> Fix | None:
    """Drop the rows with NaN/Inf from x and y together, after the later of their lines."""
    if stats.rows_total is not None and stats.nonfinite_rows >= stats.rows_total:
        return None
    arrays = [a for a in (preflight.inputs + preflight.targets) if a.argument in ("x", "y")]
    if not arrays or not all(plain_name(a) for a in arrays) or stats not in arrays:
        return None
    names = [a.origin.expression for a in arrays]  # rows must go from the arrays fit gets, together
    if len(set(names)) != len(names) or any(a.origin.argument_line is None for a in arrays):
        return None
    line = max(a.origin.argument_line for a in arrays)
    test = " & ".join(f"{{np}}.isfinite({n}).reshape(len({n}), -1).all(axis=1)" for n in names)
    code = f"finite_rows = {test}\n{', '.join(names)} = {', '.join(f'{n}[finite_rows]' for n in names)}"
    patched = insert_data_lines(editor.source, line, code)
    bad = stats.nonfinite_rows
    return editor.fix("drop-nonfinite-rows", f"drop the rows with NaN/Inf from `{'`, `'.join(names)}`", patched,
                      f"removes {bad:,} of {stats.rows_total or stats.rows_scanned:,} rows; the rest train as before")


RULE = Rule(code="GM201", name="nonfinite-data", severity="error", detect=detect, doc=__doc__)
