"""GM204 unscaled-targets: regression targets far from unit scale (e.g. prices in the hundreds of thousands with a linear output and default learning rate).

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


RULE = Rule(code="GM204", name="unscaled-targets", severity="warning", detect=detect, doc=__doc__)
