"""GM202 unscaled-inputs: input features far from unit scale (e.g. raw 0..255 pixels, values in the thousands).

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


RULE = Rule(code="GM202", name="unscaled-inputs", severity="warning", detect=detect, doc=__doc__)
