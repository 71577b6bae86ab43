"""GM101 shape-mismatch: target and output shapes cannot be compared (e.g. targets with 10 columns, a `Dense(1)` output).

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


RULE = Rule(code="GM101", name="shape-mismatch", severity="error", detect=detect, doc=__doc__)
