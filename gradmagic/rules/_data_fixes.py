"""Fixes the data rules (GM201, GM203) share: guarding a standardisation against a zero std."""

from __future__ import annotations

import ast

import libcst as cst

from gradmagic.evidence.data_origin import last_assignment
from gradmagic.evidence.preflight import ArrayStats
from gradmagic.report.model import Fix
from gradmagic.rules._preflight_common import Editor
from gradmagic.rules._preflight_edits import numpy_alias, replace_node

SPREAD_CALLS = ("std", "var", "nanstd", "nanvar")


def plain_name(stats: ArrayStats) -> bool:
    """The array is passed to ``fit`` as a plain variable whose defining line is known."""
    origin = stats.origin
    return bool(origin and origin.editable)


def _statement(tree: ast.Module, line: int) -> ast.stmt | None:
    best = None
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and not hasattr(node, "body") and \
                node.lineno <= line <= (node.end_lineno or node.lineno):
            best = node
    return best


def _spread_calls(node: ast.AST) -> list[ast.Call]:
    return [n for n in ast.walk(node) if isinstance(n, ast.Call) and
            (getattr(n.func, "attr", None) or getattr(n.func, "id", None)) in SPREAD_CALLS]


def _divisors(statement: ast.stmt) -> list[ast.AST]:
    found: list[ast.AST] = []
    if isinstance(statement, ast.AugAssign) and isinstance(statement.op, ast.Div):
        found.append(statement.value)
    for node in ast.walk(statement):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            found.append(node.right)
    return found


def std_divisions(source: str, line: int | None) -> list[ast.AST]:
    """What the statement on ``line`` divides by that is a standard deviation: ``x.std(...)``/``np.std(...)``
    calls, or a name assigned from one earlier (``sd = x.std(0)`` ... ``(x - mu) / sd``)."""
    if line is None:
        return []
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    statement = _statement(tree, line)
    if statement is None:
        return []
    found: list[ast.AST] = []
    for divisor in _divisors(statement):
        calls = _spread_calls(divisor)
        if calls:
            found.extend(calls)
            continue
        names = [n for n in ast.walk(divisor) if isinstance(n, ast.Name)]
        for name in names:
            assigned = last_assignment(tree, statement.lineno, name.id)
            if assigned is not None and _spread_calls(getattr(assigned, "value", ast.Pass())):
                found.append(name)
    return found


def is_standardisation(source: str, line: int | None) -> bool:
    return bool(std_divisions(source, line))


def guard_std_fix(editor: Editor, stats: ArrayStats) -> Fix | None:
    """Divide by ``np.maximum(std, 1e-8)`` so a constant column becomes 0 instead of NaN."""
    alias, source = numpy_alias(editor.source)
    shift = source.count("\n") - editor.source.count("\n")
    line = (stats.line or 0) + shift
    for _ in range(8):
        calls = [c for c in std_divisions(source, line) if not _guarded(source, c, alias)]
        if not calls:
            break
        patched = replace_node(source, calls[0], lambda node: cst.parse_expression(
            f"{alias}.maximum({cst.Module(body=[]).code_for_node(node)}, 1e-8)"))
        if patched is None:
            return None
        source = patched
    return editor.fix("guard-zero-std", f"guard the division by the standard deviation on line {stats.line}",
                      source, "a constant column then standardises to 0 instead of 0 / 0 = NaN")


def _guarded(source: str, call: ast.AST, alias: str) -> bool:
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "maximum" and node.args:
            inner = node.args[0]
            if (inner.lineno, inner.col_offset) == (call.lineno, call.col_offset):
                return True
    return False
