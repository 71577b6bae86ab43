"""GM307 learning-rate-high: updates are large against the weights (update/weight ratio far above ~1e-3) or the loss diverges.

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


RULE = Rule(code="GM307", name="learning-rate-high", severity="warning", detect=detect, doc=__doc__)
