"""Edits of ``trainable`` flags: a ``False`` turned ``True``, a flag set around one statement."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import PositionProvider

from gradmagic.fixes import cst as cst_edit


class _FlipTrainable(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, line: int) -> None:
        self.line = line
        self.done = False

    def _on_line(self, node: cst.CSTNode) -> bool:
        return self.get_metadata(PositionProvider, node).start.line == self.line

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        if not self.done and self._on_line(original) and isinstance(updated.value, cst.Name) and \
                updated.value.value == "False" and any(
                    isinstance(t.target, cst.Attribute) and t.target.attr.value == "trainable" for t in updated.targets):
            self.done = True
            return updated.with_changes(value=cst.Name("True"))
        return updated

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        if not self.done and updated.keyword is not None and updated.keyword.value == "trainable" and \
                isinstance(updated.value, cst.Name) and updated.value.value == "False" and \
                self.get_metadata(PositionProvider, original.value).start.line == self.line:
            self.done = True
            return updated.with_changes(value=cst.Name("True"))
        return updated


def unfreeze_at(source: str, line: int) -> str | None:
    """``x.trainable = False`` or ``trainable=False`` on ``line`` -> ``True``."""
    return cst_edit.transform(source, _FlipTrainable(line))


def trainable_around(source: str, line: int, receiver: str) -> str | None:
    """``<receiver>.trainable = True`` before the statement on ``line`` and ``= False`` after it."""
    return cst_edit.insert_around_statement(source, line, before=f"{receiver}.trainable = True",
                                            after=f"{receiver}.trainable = False")
