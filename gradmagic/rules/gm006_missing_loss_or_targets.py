"""GM006 missing-loss-or-targets: no loss in `compile()`, `fit()` without targets, a generator/dataset/Sequence yielding a list or a dict without labels instead of `(x, y)`.

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


RULE = Rule(code="GM006", name="missing-loss-or-targets", severity="error", detect=detect, doc=__doc__)
