"""GM103 degenerate-output: the loss is constant whatever the weights: categorical cross-entropy or softmax over a single unit.

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


RULE = Rule(code="GM103", name="degenerate-output", severity="error", detect=detect, doc=__doc__)
