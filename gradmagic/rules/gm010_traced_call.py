"""GM010 traced-call: a subclassed model/layer whose `call` is decorated with `@tf.function` under Keras 3, which disconnects every variable.

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


RULE = Rule(code="GM010", name="traced-call", severity="error", detect=detect, doc=__doc__)
