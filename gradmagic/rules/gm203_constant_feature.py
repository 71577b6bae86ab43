"""GM203 constant-feature: zero-variance columns, which turn into NaN under standardisation.

## What it does
Finds input columns that hold one value in every scanned row. When the array `fit` gets was
standardised on the line that produced it (`(x - x.mean(axis=0)) / x.std(axis=0)`) and whole
columns came out NaN, the standard deviation it divided by was 0: that is an error, reported
at the standardisation. A constant column in raw data is reported as a note.

## Why is this bad?
A constant column carries no signal; standardising it computes 0 / 0 = NaN for every row,
and a single NaN feature makes every step's loss NaN (GM201), silently.

## Example
```python
x[:, 2] = 1.0                                          # a constant column
x = (x - x.mean(axis=0)) / x.std(axis=0)               # column 2 becomes NaN
```

## Use instead
```python
x = (x - x.mean(axis=0)) / np.maximum(x.std(axis=0), 1e-8)
```
or `keras.layers.Normalization`, which guards the division itself.

## Fix safety
`review`: the guard only changes columns whose standard deviation is below 1e-8, which become
0 instead of NaN; check that a constant column is expected.
"""

from __future__ import annotations

from typing import Iterable

from gradmagic.evidence.facts.preflight import ArrayStats
from gradmagic.report.model import Finding
from gradmagic.rules._preflight_common import (
    Editor,
    guard_std_fix,
    is_standardisation,
    name_of,
    num,
    preflight_of,
    ranked,
)
from gradmagic.rules.base import Rule, RuleContext

MIN_ROWS = 16


def detect(ctx: RuleContext) -> Iterable[Finding]:
    preflight = preflight_of(ctx)
    if preflight is None:
        return
    editor = Editor(ctx)
    for stats in preflight.inputs:
        standardised = is_standardisation(editor.source, stats.line)
        if stats.all_nonfinite_columns and standardised:
            yield _standardised(editor, stats)
        elif stats.constant_columns and not standardised and stats.rows_scanned >= MIN_ROWS \
                and (stats.complete or stats.rows_scanned >= 1000):
            yield _constant(editor, stats)  # a guarded standardisation leaves constant columns at 0 on purpose


def _columns(columns: list[int]) -> str:
    shown = ", ".join(str(c) for c in columns[:8]) + (", ..." if len(columns) > 8 else "")
    return f"column{'s' if len(columns) > 1 else ''} {shown}"


def _standardised(editor: Editor, stats: ArrayStats) -> Finding:
    name = name_of(stats)
    columns = stats.all_nonfinite_columns
    return RULE.finding(
        f"{_columns(columns)} of `{name}` {'are' if len(columns) > 1 else 'is'} NaN in all "
        f"{stats.rows_scanned:,} rows after the standardisation on line {stats.line}: "
        "the standard deviation it divides by is 0",
        line=stats.line,
        severity="error",
        evidence={"array": name, "columns": columns[:20], "column_count": len(columns),
                  "rows": stats.rows_scanned, "nan_count": stats.nan_count},
        notes=["a constant column standardises to 0 / 0 = NaN (a NaN in the raw column does the same)"],
        help="divide by `np.maximum(std, 1e-8)` so constant columns become 0",
        fixes=ranked(guard_std_fix(editor, stats)),
    )


def _constant(editor: Editor, stats: ArrayStats) -> Finding:
    name = name_of(stats)
    columns = stats.constant_columns
    values = ", ".join(num(v) for v in stats.constant_values[:4])
    return RULE.finding(
        f"{_columns(columns)} of `{name}` {'are' if len(columns) > 1 else 'is'} constant in all "
        f"{stats.rows_scanned:,} rows scanned",
        line=stats.line or editor.ctx.fit.line,
        severity="info",
        evidence={"array": name, "columns": columns[:20], "column_count": len(columns),
                  "values": stats.constant_values[:20], "rows_scanned": stats.rows_scanned},
        notes=[f"value{'s' if len(columns) > 1 else ''} {values}: no signal, and dividing by "
               "the column's standard deviation gives NaN"],
        help="drop the column, or standardise with a guard such as `np.maximum(std, 1e-8)`",
    )


RULE = Rule(code="GM203", name="constant-feature", severity="warning", detect=detect, doc=__doc__)
