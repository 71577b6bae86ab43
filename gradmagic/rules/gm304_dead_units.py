"""GM304 dead-units: most units of a ReLU-family layer output zero for every sample.

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


RULE = Rule(code="GM304", name="dead-units", severity="warning", detect=detect, doc=__doc__)
