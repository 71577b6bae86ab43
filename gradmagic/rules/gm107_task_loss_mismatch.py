"""GM107 task-loss-mismatch: a regression loss on a classification head or the other way round, or a metric that cannot mean anything for the task (accuracy on a regression).

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


RULE = Rule(code="GM107", name="task-loss-mismatch", severity="error", detect=detect, doc=__doc__)
