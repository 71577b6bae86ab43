"""GM005 outside-tape: in a custom `train_step` or loop, the forward pass or part of the loss is computed outside the `GradientTape`.

## What it does
Traces the custom `train_step` and walks the graph from each variable passed to
`tape.gradient` back to its target. An op on that path that was created by a statement
outside the `with tf.GradientTape() as tape:` block was never recorded by the tape: the
forward pass run before the block, the loss computed after it, or a sign or scale applied
to the loss after the block (`loss = -loss`, `loss = loss * 0.5`).

## Why is this bad?
A `GradientTape` only differentiates what ran while it was recording. When the target of
`tape.gradient` was computed after the block, the tape cannot connect it to any weight:
every gradient is `None` and Keras raises `No gradients provided for any variable.`
(GM001). When only one term (a penalty, a forward pass reused from before the block) is
outside, training runs but that term contributes nothing to the gradients.

## Example
```python
def train_step(self, data):
    x, y = data
    with tf.GradientTape() as tape:
        y_pred = self(x, training=True)
        loss = keras.ops.mean(keras.ops.square(y - y_pred))
    loss = -loss  # outside the tape
    grads = tape.gradient(loss, self.trainable_variables)
```

## Use instead
```python
    with tf.GradientTape() as tape:
        y_pred = self(x, training=True)
        loss = keras.ops.mean(keras.ops.square(y - y_pred))
        loss = -loss
    grads = tape.gradient(loss, self.trainable_variables)
```

## Fix safety
`safe`: the fix only moves the statements between the tape block and the offending line
into the block (at its end when they come after it, at its start when they come before).
Values computed are the same; the tape now records them. No fix is offered when the
offending expression sits in the `tape.gradient(...)` call itself or a moved statement
would touch the tape.
"""

from __future__ import annotations

import ast
from typing import Iterable

from gradmagic.evidence.facts.probe import OutsideTape
from gradmagic.fixes import make_fix
from gradmagic.fixes.tape import move_into_tape
from gradmagic.report.model import Finding, Fix
from gradmagic.rules._shared import layers_of
from gradmagic.rules.base import Rule, RuleContext


def detect(ctx: RuleContext) -> Iterable[Finding]:
    probe = ctx.fit.probe
    if probe is None or probe.mode != "train_step":
        return
    total = len(probe.gradients)
    missing = len(probe.paths_in_state("none"))
    for item in probe.outside_tape:
        if item.line is None:
            continue
        block = _tape_block(ctx.source.tree, item.line, item.target_line)
        yield _finding(ctx, item, block, total, missing)


def _finding(ctx: RuleContext, item: OutsideTape, block: tuple[int, int] | None, total: int,
             missing: int) -> Finding:
    statement = _statement_text(ctx.source.text, ctx.source.tree, item.line)
    lines = item.lines or [item.line]
    evidence = {"op": item.op_type, "outside_lines": lines, "trainable_variables": total}
    notes = [f"op `{item.op_type}` made on line {item.line} lies between the weights and the "
             "target of `tape.gradient`, but the tape did not record it"]
    position = None
    if block is not None:
        start, end = block
        position = "after" if item.line > end else "before"
        evidence.update({"tape_block": [start, end], "position": position})
        notes.insert(0, f"the tape records lines {start}-{end}; line {item.line} runs {position} the block")
    if item.gradients_missing:
        evidence["variables_without_gradient"] = missing
        consequence = f"{missing} of {total} trainable variables get no gradient"
        severity = "error"
    else:
        evidence["variables_missing_a_term"] = len(item.variables)
        consequence = (f"its part of the loss sends no gradient to {len(item.variables)} variable(s); "
                       "training runs without it")
        severity = "warning"
    where = {"after": "after the `GradientTape` block ends", "before": "before the `GradientTape` block starts",
             None: "outside the `GradientTape` block"}[position]
    fix = _move_fix(ctx.source.text, lines, block)
    if fix is not None or block is None:
        help_text = f"move line {item.line} into the `with tf.GradientTape() as tape:` block, before `tape.gradient(...)`"
    else:
        help_text = (f"compute the value of line {item.line} again inside the `GradientTape` block at line {block[0]}; "
                     "a tensor made outside the block carries no record of the weights")
    layers = layers_of(ctx.fit, item.variables)
    return RULE.finding(
        f"`{_short(statement)}` runs {where}, so {consequence}",
        line=item.line,
        layer=layers[0] if len(layers) == 1 else None,
        evidence=evidence,
        notes=notes,
        severity=severity,
        help=help_text,
        fixes=[fix] if fix else [],
        label="runs before the tape starts recording",
    )


def _statement_text(source: str, tree: ast.Module | None, line: int) -> str:
    """The first line of the innermost statement on ``line``, without its comment."""
    if tree is not None:
        found = [node for node in ast.walk(tree) if isinstance(node, ast.stmt) and not hasattr(node, "body")
                 and node.lineno <= line <= (node.end_lineno or node.lineno)]
        if found:
            segment = ast.get_source_segment(source, found[-1]) or ""
            return segment.splitlines()[0].strip() if segment else ""
    return source.splitlines()[line - 1].strip() if 0 < line <= len(source.splitlines()) else ""


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _tape_block(tree: ast.Module | None, line: int, target_line: int | None) -> tuple[int, int] | None:
    """First and last line of the tape block whose ``tape.gradient`` missed ``line``.

    That is the block where the target was computed, else the last block before the
    target (a target computed after its block), in the statement list holding ``line``.
    """
    if tree is None:
        return None
    for body in _bodies(tree):
        tapes = [stmt for stmt in body if isinstance(stmt, (ast.With, ast.AsyncWith)) and _opens_tape(stmt)]
        here = [stmt for stmt in body if stmt.lineno <= line <= (stmt.end_lineno or stmt.lineno)]
        if not tapes or not here or here[0] in tapes:
            continue
        anchor = target_line if target_line is not None else line
        holding = [t for t in tapes if t.lineno <= anchor <= (t.end_lineno or t.lineno)]
        before = [t for t in tapes if (t.end_lineno or t.lineno) < anchor]
        after = [t for t in tapes if t.lineno > anchor]
        chosen = holding[0] if holding else before[-1] if before else after[0]
        return chosen.lineno, chosen.end_lineno or chosen.lineno
    return None


def _bodies(tree: ast.AST) -> Iterable[list[ast.stmt]]:
    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            body = getattr(node, name, None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                yield body


def _opens_tape(node: ast.With | ast.AsyncWith) -> bool:
    return any("GradientTape" in ast.unparse(item.context_expr) for item in node.items)


# -- the fix: move statements into the tape block -------------------------------------------

def _move_fix(source: str, lines: list[int], block: tuple[int, int] | None) -> Fix | None:
    if block is None:
        return None
    patched = move_into_tape(source, lines, block[0])
    if patched is None:
        return None
    shown = f"line {lines[0]}" if len(lines) == 1 else "lines " + ", ".join(map(str, lines))
    return make_fix("move-into-tape", f"move {shown} into the `GradientTape` block", "safe", source, patched,
                    "the tape records only what runs inside its block")


RULE = Rule(code="GM005", name="outside-tape", severity="error", detect=detect, doc=__doc__)
