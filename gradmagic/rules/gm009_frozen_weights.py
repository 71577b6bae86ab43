"""GM009 frozen-weights: nothing is trainable, or the layers that must learn are frozen (including Keras 3 capturing `trainable` at the first trace of the train function, the classic GAN recipe).

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


RULE = Rule(code="GM009", name="frozen-weights", severity="error", detect=detect, doc=__doc__)
