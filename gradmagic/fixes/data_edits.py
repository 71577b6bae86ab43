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
