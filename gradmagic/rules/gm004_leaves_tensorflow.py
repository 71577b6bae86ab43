"""GM004 leaves-tensorflow: the value leaves TensorFlow inside the forward pass or loss: `.numpy()`, NumPy calls, `tf.numpy_function`/`py_function`, Python `float()`. Also explains the graph-mode errors this causes (`'SymbolicTensor' object has no attribute 'numpy'`, `Cannot convert a symbolic tf.Tensor`).

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


RULE = Rule(code="GM004", name="leaves-tensorflow", severity="error", detect=detect, doc=__doc__)
