"""GM105 label-encoding-mismatch: one-hot targets with a sparse loss, integer targets with a categorical loss, class ids outside the number of output units.

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


RULE = Rule(code="GM105", name="label-encoding-mismatch", severity="error", detect=detect, doc=__doc__)
