"""GM012 tape-misuse: a `GradientTape` is asked for gradients it cannot give: a non-persistent tape used twice, a tape that watches nothing, gradients of a forward pass recorded on another tape.

## What it does
Reads how tracing the custom `train_step` (and `fit` itself) failed, and which tape each
`tape.gradient` call in the step asks. Fires when:

- a tape made without `persistent=True` is asked for a second set of gradients
  (`RuntimeError: A non-persistent GradientTape can only be used to compute one set of
  gradients (or jacobians)`), or for a jacobian it can only give when persistent;
- a tape is re-entered while it records (`Tape is still recording`) or asked for the
  gradient of `None`;
- `tf.GradientTape(watch_accessed_variables=False)` is never told what to watch
  (`tape.watch(...)`), so it records no variable and every gradient is `None`;
- `tape.gradient` is asked about a value whose forward pass ran inside the block of
  *another* tape: that tape recorded it, this one did not, and every gradient is `None`.
  (A value computed outside every tape block is GM005.)

`line` is the `tape.gradient` call, or the `GradientTape(...)` that watches nothing.

## Why is this bad?
A non-persistent tape frees what it recorded as soon as it has given one set of
gradients: the second call fails and the step never runs. A tape that watches nothing, or
that was not recording while the forward pass ran, cannot connect the loss to any weight:
Keras raises `No gradients provided for any variable.` (GM001) and nothing learns.

## Example
```python
with tf.GradientTape() as tape:
    y_pred = self(x, training=True)
    loss = self.loss_fn(y, y_pred)
    penalty = keras.ops.mean(keras.ops.square(y_pred))
grads = tape.gradient(loss, self.trainable_variables)
penalty_grads = tape.gradient(penalty, self.trainable_variables)  # second use
```

## Use instead
```python
with tf.GradientTape(persistent=True) as tape:
    ...
grads = tape.gradient(loss, self.trainable_variables)
penalty_grads = tape.gradient(penalty, self.trainable_variables)
del tape
```

## Fix safety
`safe` for adding `persistent=True` to a tape asked twice (same gradients; the tape keeps
its record until it is released) and for dropping `watch_accessed_variables=False` (the
tape then records the variables the step reads; the gradients asked for are the same
sources). `review` for asking the tape that recorded the value instead of the one named in
`tape.gradient` (check that this is the tape meant). No fix is offered when the forward
pass and the loss were recorded on different tapes: the step needs restructuring.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from gradmagic.fixes import make_fix
from gradmagic.fixes.tape import (
    ask_other_tape,
    make_persistent,
    watch_accessed_variables,
)
from gradmagic.report.model import Finding, Fix
from gradmagic.rules._shared import code_span, own_nodes, raised_errors
from gradmagic.rules.base import Rule, RuleContext

GRADIENT_METHODS = ("gradient", "jacobian", "batch_jacobian")

#: (kind, exception type, pattern) of what TF's backprop.py raises for a misused tape.
TAPE_ERRORS = (
    ("used-twice", "RuntimeError",
     re.compile(r"non-persistent GradientTape can only be used to ?compute one set of gradients")),
    ("needs-persistent", "RuntimeError", re.compile(r"GradientTape must be created with persistent=True")),
    ("re-entered", "ValueError", re.compile(r"Tape is still recording")),
    ("target-none", "TypeError", re.compile(r"Argument `target` should be a list or nested structure.*received None")),
)
NO_GRADIENTS = "No gradients provided for any variable"


@dataclass
class _Tape:
    """A ``GradientTape`` made in the source: its name, where, and the blocks it records."""

    name: str
    line: int  # the line of the ``GradientTape(...)`` call
    call: ast.Call
    blocks: list[tuple[int, int]] = field(default_factory=list)  # first/last line of each ``with`` body

    def records(self, line: int) -> bool:
        return any(start <= line <= end for start, end in self.blocks)

    def keyword(self, name: str) -> ast.expr | None:
        return next((k.value for k in self.call.keywords if k.arg == name), None)


@dataclass
class _Failure:
    kind: str
    type: str
    message: str
    line: int | None


def detect(ctx: RuleContext) -> Iterable[Finding]:
    tree = ctx.source.tree
    if tree is None or not ctx.fit.custom_train_step:
        return
    reported: set[int] = set()
    failure = _tape_failure(ctx)
    if failure is not None and failure.line is not None:
        finding = _failure_finding(ctx, tree, failure)
        if finding is not None:
            reported.add(failure.line)
            yield finding
    if not _gradients_missing(ctx):
        return
    probe = ctx.fit.probe
    outside = [item.line for item in (probe.outside_tape if probe else []) if item.line is not None]
    for function in _functions(tree):
        tapes = _tapes(function)
        for tape in tapes.values():
            if _watches_nothing(function, tape):
                yield _watch_finding(ctx, tape)
                reported.add(tape.line)
        if any(function.lineno <= line <= (function.end_lineno or function.lineno) for line in outside):
            continue  # computed outside every tape: GM005 explains it
        for call, tape_name in _gradient_calls(function):
            if call.lineno in reported or tape_name not in tapes or tapes[tape_name].line in reported:
                continue
            other = _recorded_elsewhere(function, call, tapes[tape_name], tapes)
            if other is not None:
                reported.add(call.lineno)
                yield _other_tape_finding(ctx, call, tapes[tape_name], other, tapes, function)


# -- evidence ------------------------------------------------------------------------------

def _tape_failure(ctx: RuleContext) -> _Failure | None:
    """The tape error raised while the probe traced the step, else by ``fit`` itself."""
    for type_name, message, line in reversed(raised_errors(ctx)):  # fit's own exception first
        for kind, expected, pattern in TAPE_ERRORS:
            if type_name == expected and pattern.search(message):
                return _Failure(kind, type_name, message, line)
    return None


def _gradients_missing(ctx: RuleContext) -> bool:
    fit = ctx.fit
    if fit.exception is not None and NO_GRADIENTS in fit.exception.message:
        return True
    probe = fit.probe
    return probe is not None and probe.mode == "train_step" and bool(probe.paths_in_state("none"))


# -- the source: tapes, their blocks, their gradient calls ----------------------------------

def _functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _is_tape_call(node: ast.AST | None) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name == "GradientTape"


def _tapes(function: ast.AST) -> dict[str, _Tape]:
    """Every tape the function makes, by name: ``with tf.GradientTape() as t`` or ``t = tf.GradientTape()``."""
    tapes: dict[str, _Tape] = {}
    withs: list[ast.With | ast.AsyncWith] = []
    for node in own_nodes(function):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            withs.append(node)
            for item in node.items:
                if _is_tape_call(item.context_expr) and isinstance(item.optional_vars, ast.Name):
                    tapes[item.optional_vars.id] = _Tape(item.optional_vars.id, item.context_expr.lineno,
                                                         item.context_expr)
        elif isinstance(node, ast.Assign) and _is_tape_call(node.value):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    tapes[target.id] = _Tape(target.id, node.value.lineno, node.value)
    for node in withs:
        body = (node.body[0].lineno, node.body[-1].end_lineno or node.body[-1].lineno)
        for item in node.items:
            expr = item.context_expr
            if _is_tape_call(expr) and isinstance(item.optional_vars, ast.Name):
                tapes[item.optional_vars.id].blocks.append(body)
            elif isinstance(expr, ast.Name) and expr.id in tapes:  # ``with tape:``
                tapes[expr.id].blocks.append(body)
    return tapes


def _gradient_calls(function: ast.AST) -> list[tuple[ast.Call, str]]:
    calls = [(node, node.func.value.id) for node in own_nodes(function)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
             and node.func.attr in GRADIENT_METHODS and isinstance(node.func.value, ast.Name)]
    return sorted(calls, key=lambda item: (item[0].lineno, item[0].col_offset))


def _enclosing_function(tree: ast.AST, line: int) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    found = [f for f in _functions(tree) if f.lineno <= line <= (f.end_lineno or f.lineno)]
    return max(found, key=lambda f: f.lineno) if found else None


def _watches_nothing(function: ast.AST, tape: _Tape) -> bool:
    """``watch_accessed_variables=False`` and no ``tape.watch(...)`` anywhere in the function."""
    value = tape.keyword("watch_accessed_variables")
    if not (isinstance(value, ast.Constant) and value.value is False):
        return False
    for node in own_nodes(function):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "watch"
                and isinstance(node.func.value, ast.Name) and node.func.value.id == tape.name):
            return False
    return any(name == tape.name for _, name in _gradient_calls(function))


def _assignments(function: ast.AST) -> list[tuple[str, ast.stmt]]:
    found = []
    for node in own_nodes(function):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        found.append((name.id, node))
    return found


def _dependencies(function: ast.AST, expr: ast.expr, before: int) -> list[ast.stmt]:
    """The assignments, before line ``before``, whose values ``expr`` is computed from."""
    assignments = _assignments(function)
    seen: list[ast.stmt] = []
    names = [(n.id, before) for n in ast.walk(expr) if isinstance(n, ast.Name)]
    visited: set[tuple[str, int]] = set()
    while names:
        name, limit = names.pop()
        if (name, limit) in visited:
            continue
        visited.add((name, limit))
        earlier = [stmt for target, stmt in assignments if target == name and stmt.lineno < limit]
        if not earlier:
            continue
        stmt = max(earlier, key=lambda s: s.lineno)
        if stmt not in seen:
            seen.append(stmt)
        value = stmt.value if stmt.value is not None else None
        if value is not None:
            names.extend((n.id, stmt.lineno) for n in ast.walk(value) if isinstance(n, ast.Name))
        if isinstance(stmt, ast.AugAssign):
            names.extend((n.id, stmt.lineno) for n in ast.walk(stmt.target) if isinstance(n, ast.Name))
    return seen


@dataclass
class _Elsewhere:
    tape: _Tape
    lines: list[int]  # the statements that ran on the other tape
    target_line: int | None  # the target's own assignment, when it ran on the other tape


def _recorded_elsewhere(function: ast.AST, call: ast.Call, tape: _Tape,
                        tapes: dict[str, _Tape]) -> _Elsewhere | None:
    """The other tape that recorded the computation ``tape.gradient`` asks about, if any."""
    if not call.args:
        return None
    target = call.args[0]
    statements = _dependencies(function, target, call.lineno)
    recorded_here = [s for s in statements if tape.records(s.lineno)]
    elsewhere = []
    for stmt in statements:
        if tape.records(stmt.lineno) or not any(isinstance(n, ast.Call) for n in ast.walk(stmt)):
            continue
        owners = [t for t in tapes.values() if t is not tape and t.records(stmt.lineno)]
        if owners:
            elsewhere.append((stmt, owners[0]))
    if not elsewhere:
        return None
    other = elsewhere[0][1]
    target_line = None
    if isinstance(target, ast.Name) and statements and statements[0].lineno in {s.lineno for s, _ in elsewhere} \
            and not recorded_here:
        target_line = statements[0].lineno
    return _Elsewhere(other, sorted({s.lineno for s, t in elsewhere if t is other}), target_line)


# -- findings ----------------------------------------------------------------------------

def _failure_finding(ctx: RuleContext, tree: ast.Module, failure: _Failure) -> Finding | None:
    function = _enclosing_function(tree, failure.line)
    tapes = _tapes(function) if function is not None else {}
    call, name = next(((c, n) for c, n in (_gradient_calls(function) if function else [])
                       if c.lineno <= failure.line <= (c.end_lineno or c.lineno)), (None, None))
    tape = tapes.get(name) if name else None
    if call is not None and tape is not None and failure.kind in ("used-twice", "needs-persistent"):
        other = _recorded_elsewhere(function, call, tape, tapes)
        if other is not None:  # the second call meant another tape: that is the cause
            return _other_tape_finding(ctx, call, tape, other, tapes, function, failure)
    evidence = {"exception_type": failure.type, "exception_message": failure.message}
    notes = [f"`fit` traces the step, and the trace raised {code_span(f'{failure.type}: {failure.message}')}"]
    fixes: list[Fix] = []
    if tape is not None:
        uses = [c.lineno for c, n in _gradient_calls(function) if n == tape.name]
        evidence.update({"tape": tape.name, "tape_line": tape.line, "gradient_calls": uses})
    if failure.kind in ("used-twice", "needs-persistent"):
        shown = f"`{tape.name}` (line {tape.line})" if tape else "the tape"
        if failure.kind == "used-twice":
            earlier = [line for line in evidence.get("gradient_calls", []) if line < failure.line]
            first = f" after line {earlier[0]}" if earlier else ""
            message = (f"the non-persistent tape {shown} is asked for a second set of gradients{first}; "
                       "it frees what it recorded after the first `gradient` call")
        else:
            message = f"the tape {shown} is asked for a jacobian that only a persistent tape can give"
        help_text = ("create the tape with `tf.GradientTape(persistent=True)` (and `del` it when done), "
                     "or ask once for the gradient of the sum of the losses")
        fix = _persistent_fix(ctx.source.text, tape) if tape else None
        fixes = [fix] if fix else []
    elif failure.kind == "re-entered":
        message = "a `GradientTape` is entered again while it is still recording"
        help_text = "open each tape once (`with tf.GradientTape() as tape:`); nest two different tapes if both must record"
    else:
        message = "`tape.gradient` is asked for the gradient of `None`"
        help_text = "pass the loss tensor computed inside the tape block as the first argument of `tape.gradient`"
    return RULE.finding(message, line=failure.line, evidence=evidence, notes=notes, help=help_text, fixes=fixes)


def _watch_finding(ctx: RuleContext, tape: _Tape) -> Finding:
    value = tape.keyword("watch_accessed_variables")
    line = getattr(value, "lineno", tape.line)
    probe = ctx.fit.probe
    evidence = {"tape": tape.name, "tape_line": tape.line, "watch_calls": 0}
    if probe is not None and probe.mode == "train_step":
        evidence.update({"trainable_variables": len(probe.gradients),
                         "variables_without_gradient": len(probe.paths_in_state("none"))})
    fix = _drop_watch_fix(ctx.source.text, tape)
    return RULE.finding(
        f"the tape `{tape.name}` is made with `watch_accessed_variables=False` and never told what to watch, "
        "so it records no variable and every gradient is None",
        line=line, evidence=evidence,
        notes=["with `watch_accessed_variables=False` a tape records only what `tape.watch(...)` names"],
        help=f"drop `watch_accessed_variables=False`, or call `{tape.name}.watch(variable)` for each variable "
             "inside the block",
        fixes=[fix] if fix else [])


def _other_tape_finding(ctx: RuleContext, call: ast.Call, tape: _Tape, other: _Elsewhere,
                        tapes: dict[str, _Tape], function: ast.AST, failure: _Failure | None = None) -> Finding:
    lines = ", ".join(map(str, other.lines))
    evidence = {"tape": tape.name, "tape_line": tape.line, "recorded_on": other.tape.name,
                "recorded_on_line": other.tape.line, "recorded_lines": other.lines}
    notes = [(f"a tape only differentiates what ran inside its own block; line(s) {lines} ran inside "
              f"the block of `{other.tape.name}` (line {other.tape.line}), not of `{tape.name}`")]
    if failure is not None:
        evidence.update({"exception_type": failure.type, "exception_message": failure.message})
        notes.append(f"tracing the step raises `{failure.type}: {failure.message}`")
    probe = ctx.fit.probe
    if probe is not None and probe.mode == "train_step":
        evidence["variables_without_gradient"] = len(probe.paths_in_state("none"))
    fixes: list[Fix] = []
    if other.target_line is not None:
        help_text = f"ask the tape that recorded it: `{other.tape.name}.{call.func.attr}(...)`"
        fix = _rename_fix(ctx.source.text, call, tape, other.tape, function)
        fixes = [fix] if fix else []
    else:
        help_text = (f"compute the forward pass of line(s) {lines} inside the block of `{tape.name}` too "
                     f"(or nest the `{other.tape.name}` block inside it)")
    return RULE.finding(
        f"`{tape.name}.{call.func.attr}` asks about a value computed on the tape `{other.tape.name}` (line(s) "
        f"{lines}); `{tape.name}` did not record it, so it gives no gradient",
        line=call.lineno, evidence=evidence, notes=notes, help=help_text, fixes=fixes)


# -- fixes -------------------------------------------------------------------------------

def _persistent_fix(source: str, tape: _Tape) -> Fix | None:
    patched = make_persistent(source, tape.line)
    return make_fix("persistent-tape", f"make the tape `{tape.name}` persistent (line {tape.line})", "safe",
                    source, patched, "a persistent tape keeps its record for more than one `gradient` call")


def _drop_watch_fix(source: str, tape: _Tape) -> Fix | None:
    patched = watch_accessed_variables(source, tape.line)
    return make_fix("watch-accessed-variables", f"let the tape `{tape.name}` watch the variables it reads "
                    f"(line {tape.line})", "safe", source, patched,
                    "the tape then records the trainable variables the forward pass reads")


def _rename_fix(source: str, call: ast.Call, tape: _Tape, other: _Tape, function: ast.AST) -> Fix | None:
    patched = ask_other_tape(source, call.lineno, call.func.attr, tape.name, other.name)
    if patched is None:
        return None
    others = [c for c, n in _gradient_calls(function) if n == other.name]
    persistent = other.keyword("persistent")
    if others and not (isinstance(persistent, ast.Constant) and persistent.value is True):
        patched = make_persistent(patched, other.line)
    if patched is None:
        return None
    return make_fix("use-recording-tape", f"ask `{other.name}`, the tape that recorded it (line {call.lineno})",
                    "review", source, patched, f"`{other.name}` recorded the computation; `{tape.name}` did not")


RULE = Rule(code="GM012", name="tape-misuse", severity="error", detect=detect, doc=__doc__)
