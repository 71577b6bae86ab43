"""GM005 outside-tape: in a custom `train_step` or loop, the forward pass or part of the loss is computed outside the `GradientTape`.

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


RULE = Rule(code="GM005", name="outside-tape", severity="error", detect=detect, doc=__doc__)
