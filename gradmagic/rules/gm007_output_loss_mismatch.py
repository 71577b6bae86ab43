"""GM007 output-loss-mismatch: multi-output / dict outputs whose names, loss keys and target keys do not match, or an output head that has no loss.

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


RULE = Rule(code="GM007", name="output-loss-mismatch", severity="error", detect=detect, doc=__doc__)
