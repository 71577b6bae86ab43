"""Edits of the lines that make the data: lines added after an array is made, scaling undone or
guarded, one shuffle order shared by several arrays."""

from __future__ import annotations

import ast

import libcst as cst
from libcst.metadata import PositionProvider

from gradmagic.fixes.cst import (
    ast_span,
    insert_after_line,
    replace_node,
    replace_spans,
    statement_span,
    syntax_tree,
    transform,
)
from gradmagic.fixes.imports import numpy_alias, with_keras_import

SCALING = (cst.Divide, cst.Multiply)


class _Unscale(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, line: int) -> None:
        self.line = line
        self.done = False

    def _here(self, node: cst.CSTNode) -> bool:
        return self.get_metadata(PositionProvider, node).start.line == self.line

    def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine):
        if self.done or not self._here(original) or len(updated.body) != 1:
            return updated
        statement = updated.body[0]
        if isinstance(statement, cst.AugAssign) and isinstance(statement.operator, (cst.DivideAssign,
                                                                                    cst.MultiplyAssign)):
            self.done = True
            return cst.RemoveFromParent()  # ``y /= 255``
        if isinstance(statement, cst.Assign) and len(statement.targets) == 1 \
                and isinstance(statement.value, cst.BinaryOperation) \
                and isinstance(statement.value.operator, SCALING) and isinstance(statement.value.left, cst.Name):
            left = statement.value.left
            target = statement.targets[0].target
            self.done = True
            if isinstance(target, cst.Name) and target.value == left.value:
                return cst.RemoveFromParent()  # ``y = y / 255``
            return updated.with_changes(body=[statement.with_changes(value=left)])  # ``y = labels / 255``
        return updated


def unscale_at(source: str, line: int) -> str | None:
    """Undo the scaling written on ``line`` (``y = y / 255``, ``y /= 10``, ``y = raw * 0.1``), or None."""
    return transform(source, _Unscale(line))


def shared_permutation(source: str, shuffles: list[tuple[int, str, str]]) -> str | None:
    """Shuffle several arrays with one permutation instead of one each.

    ``shuffles`` holds ``(line, name, generator)`` of the statements that shuffle each array on
    its own (``X, y = rng.permutation(X), rng.permutation(y)`` or one statement per array). The first
    statement draws ``perm`` and indexes its arrays with it; later ones only index.
    """
    lines = source.splitlines(keepends=True)
    by_statement: dict[tuple[int, int], list[tuple[str, str]]] = {}
    for line, name, generator in shuffles:
        span = statement_span(source, line)
        if span is None:
            return None
        by_statement.setdefault(span, []).append((name, generator))
    if not by_statement:
        return None
    for (start, end), arrays in sorted(by_statement.items(), reverse=True):
        text = lines[start - 1]
        indent = text[: len(text) - len(text.lstrip())]
        names = [name for name, _ in arrays]
        body = f"{', '.join(names)} = {', '.join(f'{n}[perm]' for n in names)}\n"
        lines[start - 1:end] = [indent + body]
    (start, _), arrays = min(by_statement.items())
    name, generator = arrays[0]
    text = lines[start - 1]
    indent = text[: len(text) - len(text.lstrip())]
    lines.insert(start - 1, f"{indent}perm = {generator}.permutation(len({name}))  # one order for every array\n")
    return "".join(lines)


def insert_data_lines(source: str, line: int, text: str) -> str:
    """Insert data-preparation ``text`` after the statement on ``line``; ``{np}`` in it stands for
    numpy's alias (``import numpy as np`` is added if missing), ``keras.`` adds ``import keras``."""
    alias, with_import = numpy_alias(source) if "{np}" in text else ("np", source)
    shift = with_import.count("\n") - source.count("\n")
    code = text.replace("{np}", alias)
    return with_keras_import(insert_after_line(with_import, line + shift, code), code)


def feature_axes(dims: int) -> str:
    """The ``axis=`` code that reduces an array of ``dims`` dimensions over all but its last (features)."""
    return "0" if dims <= 2 else "(" + ", ".join(str(i) for i in range(dims - 1)) + ")"


def standardisation(name: str, dims: int) -> str:
    """The line that standardises array ``name`` of ``dims`` dimensions per feature (the last axis)."""
    axes = feature_axes(dims)
    return f"{name} = ({name} - {name}.mean(axis={axes})) / {{np}}.maximum({name}.std(axis={axes}), 1e-8)"


def standardise_after(source: str, line: int, name: str, dims: int) -> str:
    """Standardise array ``name`` (``dims`` dimensions) per feature right after ``line``."""
    return insert_data_lines(source, line, standardisation(name, dims))


def _guarded(tree: ast.Module, span: tuple[int, int, int, int]) -> bool:
    return any(isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "maximum" and node.args
               and ast_span(node.args[0])[:2] == span[:2] for node in ast.walk(tree))


def guard_divisors(source: str, spans: list[tuple[int, int, int, int]]) -> str | None:
    """Wrap each divisor at ``spans`` (ast positions: a standard deviation) in ``np.maximum(..., 1e-8)``,
    so that a constant column divides by 1e-8 instead of 0; divisors already inside a ``maximum`` stay."""
    tree = syntax_tree(source)
    if tree is None:
        return None
    spans = [span for span in spans if not _guarded(tree, span)]
    if not spans:
        return None
    alias, _ = numpy_alias(source)
    patched = replace_spans(source, spans, lambda node: cst.parse_expression(
        f"{alias}.maximum({cst.Module(body=[]).code_for_node(node)}, 1e-8)"))
    return numpy_alias(patched)[1] if patched is not None else None


def _unscaled(node: ast.expr) -> ast.expr | None:
    """``tokens`` for ``(tokens - tokens.mean()) / tokens.std()``, ``tokens / 200``, ``tokens - 1``."""
    peeled = node
    while isinstance(peeled, ast.BinOp) and isinstance(peeled.op, (ast.Div, ast.Sub, ast.Add, ast.Mult)):
        peeled = peeled.left
    if peeled is node or not isinstance(peeled, (ast.Name, ast.Subscript, ast.Attribute, ast.Call)):
        return None
    return peeled


def unscaled_value_at(source: str, line: int) -> str | None:
    """The code of what the assignment on ``line`` scales (``tokens`` for ``ids = tokens / 200``), or None."""
    statement = _assignment_on(syntax_tree(source), line)
    inner = _unscaled(statement.value) if statement is not None else None
    return ast.unparse(inner) if inner is not None else None


def strip_scaling_at(source: str, line: int) -> str | None:
    """``ids = (tokens - tokens.mean()) / tokens.std()`` on ``line`` -> ``ids = tokens``."""
    statement = _assignment_on(syntax_tree(source), line)
    original = unscaled_value_at(source, line)
    if statement is None or original is None:
        return None
    return replace_node(source, statement.value, lambda node: cst.parse_expression(original))


def _assignment_on(tree: ast.Module | None, line: int) -> ast.Assign | None:
    return next((node for node in ast.walk(tree) if isinstance(node, ast.Assign) and node.lineno == line
                 and len(node.targets) == 1), None) if tree is not None else None
