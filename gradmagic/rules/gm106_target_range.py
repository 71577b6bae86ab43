"""GM106 target-range: targets outside the range the output activation can produce, or outside [0, 1] for binary cross-entropy.

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


RULE = Rule(code="GM106", name="target-range", severity="error", detect=detect, doc=__doc__)
