"""Edits of ``tf.GradientTape`` code: statements moved into the tape's block, a persistent tape, a
tape that watches what it reads, a ``gradient`` call asked of the tape that recorded the value."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import PositionProvider

from gradmagic.fixes import cst as cst_edit


def move_into_tape(source: str, lines: list[int], tape_line: int) -> str | None:
    """Move the statements on ``lines`` (before or after the ``with tf.GradientTape()`` block starting
    on ``tape_line``, in the same body) into that block; None when a move would change the meaning
    (a moved statement opens a tape, uses the tape, or sets a name the ``with`` line reads)."""
    mover = _Mover(lines, tape_line)
    return cst_edit.transform(source, mover, changed=lambda: mover.done and not mover.refused)


class _Mover(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, lines: list[int], tape_line: int) -> None:
        self.lines = lines
        self.tape_line = tape_line
        self.done = False
        self.refused = False

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        if self.done:
            return updated
        spans = [self._span(stmt) for stmt in original.body]
        body = self._move(list(updated.body), spans)
        return updated.with_changes(body=body) if body is not None else updated

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if self.done:
            return updated
        spans = [self._span(stmt) for stmt in original.body]
        body = self._move(list(updated.body), spans)
        return updated.with_changes(body=body) if body is not None else updated

    def _span(self, node: cst.CSTNode) -> tuple[int, int]:
        position = self.get_metadata(PositionProvider, node)
        return position.start.line, position.end.line

    def _move(self, body: list, spans: list[tuple[int, int]]) -> list | None:
        tape = next((i for i, (start, _) in enumerate(spans) if start == self.tape_line), None)
        if tape is None or not _is_tape_with(body[tape]):
            return None
        indices = {i for i, (start, end) in enumerate(spans) for line in self.lines if start <= line <= end}
        after = sorted(i for i in indices if i > tape)
        before = sorted(i for i in indices if i < tape)
        head = body[before[0]: tape] if before else []
        tail = body[tape + 1: after[-1] + 1] if after else []
        moved = head + tail
        covered = all(any(start <= line <= end for start, end in spans) for line in self.lines)
        if (tape in indices or not covered
                or any(_is_tape_with(stmt) for stmt in moved)
                or any(_touches_tape(stmt, _tape_names(body[tape])) for stmt in moved)
                or _assigns_used_by(head, body[tape])):
            self.refused = True
            return None
        self.done = True
        with_stmt = body[tape]
        inner = [*head, *with_stmt.body.body, *tail]
        with_stmt = with_stmt.with_changes(body=with_stmt.body.with_changes(body=inner))
        return [*body[: before[0] if before else tape], with_stmt, *body[(after[-1] if after else tape) + 1:]]


def _is_tape_with(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.With) and isinstance(stmt.body, cst.IndentedBlock) and any(
        "GradientTape" in cst_edit.code_of(item.item) for item in stmt.items)


def _tape_names(stmt: cst.With) -> set[str]:
    return {item.asname.name.value for item in stmt.items
            if item.asname is not None and isinstance(item.asname.name, cst.Name)}


class _Names(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)


class _AssignedNames(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        if isinstance(node.target, cst.Name):
            self.names.add(node.target.value)


def _touches_tape(stmt: cst.CSTNode, names: set[str]) -> bool:
    visitor = _Names()
    stmt.visit(visitor)
    return bool(visitor.names & names)


def _assigns_used_by(moved: list, tape: cst.With) -> bool:
    """True when a moved statement assigns a name that the ``with`` line itself reads."""
    assigned = _AssignedNames()
    for stmt in moved:
        stmt.visit(assigned)
    used = _Names()
    for item in tape.items:
        item.item.visit(used)
    return bool(assigned.names & used.names)


def make_persistent(source: str, line: int) -> str | None:
    """``tf.GradientTape()`` on ``line`` -> ``tf.GradientTape(persistent=True)``."""
    return cst_edit.set_keyword_at(source, line, ("GradientTape",), "persistent", "True")


def _without_watch(call: cst.Call) -> cst.Call:
    call = cst_edit.without_keyword(call, "watch_accessed_variables")
    return call if call.args else call.with_changes(whitespace_before_args=cst.SimpleWhitespace(""))


def watch_accessed_variables(source: str, line: int) -> str | None:
    """Drop ``watch_accessed_variables=False`` from the ``GradientTape(...)`` on ``line``."""
    return cst_edit.rewrite_call(source, line, cst_edit.callee_is("GradientTape"), _without_watch)


def ask_other_tape(source: str, line: int, method: str, tape: str, other: str) -> str | None:
    """``<tape>.<method>(...)`` on ``line`` -> ``<other>.<method>(...)``."""

    def rename(node: cst.Call) -> cst.BaseExpression | None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == tape):
            return None
        return node.with_changes(func=func.with_changes(value=cst.Name(other)))

    return cst_edit.rewrite_call(source, line, cst_edit.callee_is(method), rename)
