"""GM104 activation-loss-mismatch: a probabilistic loss on an output that is not a probability (missing softmax/sigmoid without `from_logits=True`), `from_logits=True` on a softmax/sigmoid output, sigmoid with categorical cross-entropy for exclusive classes, and similar pairings.

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


RULE = Rule(code="GM104", name="activation-loss-mismatch", severity="error", detect=detect, doc=__doc__)
