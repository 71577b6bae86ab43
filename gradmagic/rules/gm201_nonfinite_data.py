"""GM201 nonfinite-data: NaN or Inf in inputs or targets (count, first row and column).

## What it does
TODO

## Why is this bad?
TODO

## Example
TODO

## Use instead
TODO

## Fix safety
TODO
"""

from __future__ import annotations

from typing import Iterable

from gradmagic.report.model import Finding
from gradmagic.rules.base import Rule, RuleContext


def detect(ctx: RuleContext) -> Iterable[Finding]:
    return []


RULE = Rule(code="GM201", name="nonfinite-data", severity="error", detect=detect, doc=__doc__)
