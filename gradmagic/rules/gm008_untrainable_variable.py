"""GM008 untrainable-variable: a variable that cannot be trained: integer dtype, a raw `tf.Variable` that Keras 3 does not track, a variable not reachable from any output.

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


RULE = Rule(code="GM008", name="untrainable-variable", severity="error", detect=detect, doc=__doc__)
