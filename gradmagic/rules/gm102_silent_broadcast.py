"""GM102 silent-broadcast: target `(N,)` against output `(N, 1)` (or similar) broadcasts to `(N, N)` inside the loss.

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


RULE = Rule(code="GM102", name="silent-broadcast", severity="error", detect=detect, doc=__doc__)
