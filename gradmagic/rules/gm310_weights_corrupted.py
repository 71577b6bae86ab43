"""GM310 weights-corrupted: weights became NaN/Inf while the reported loss still looks finite (e.g. NaN input swallowed by ReLU).

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


RULE = Rule(code="GM310", name="weights-corrupted", severity="error", detect=detect, doc=__doc__)
