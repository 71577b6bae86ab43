"""Rewrites of the statement that makes a data array, as libcst edits."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import PositionProvider

from gradmagic.fixes.cst import transform

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
            return updated.with_changes(body=[statement.with_changes(value=left)])  # ``y = labels / 255`` -> ``y = labels``
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
    from gradmagic.fixes.cst import statement_span

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
