"""GM301 nonfinite-training: the loss, a gradient or a weight becomes NaN/Inf: the first step and the first layer where it happened.

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


RULE = Rule(code="GM301", name="nonfinite-training", severity="error", detect=detect, doc=__doc__)
