"""The checked source (a notebook cell or a script) and how runtime frames map back to it."""

from __future__ import annotations

import ast
import linecache
import sys
import traceback
from dataclasses import dataclass, field
from functools import cached_property
from types import FrameType, TracebackType


@dataclass
class SourceUnit:
    """The text being checked and the filename its code objects are compiled under."""

    text: str
    filename: str
    lines: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.lines = self.text.splitlines()

    def register(self) -> None:
        """Make ``linecache`` (and so tracebacks) know the source under ``filename``."""
        linecache.cache[self.filename] = (
            len(self.text),
            None,
            self.text.splitlines(keepends=True),
            self.filename,
        )

    def is_ours(self, filename: str | None) -> bool:
        return filename == self.filename

    def line_text(self, line: int | None) -> str:
        if line is None or not 1 <= line <= len(self.lines):
            return ""
        return self.lines[line - 1]

    @cached_property
    def tree(self) -> ast.Module | None:
        try:
            return ast.parse(self.text)
        except SyntaxError:
            return None

    def caller_line(self, frame: FrameType | None = None) -> int | None:
        """The line of the outermost-to-innermost last frame in this source on the current stack."""
        frame = frame or sys._getframe(1)
        while frame is not None:
            if self.is_ours(frame.f_code.co_filename):
                return frame.f_lineno
            frame = frame.f_back
        return None

    def stack_lines(self, frame: FrameType | None = None) -> list[int]:
        """Lines of every frame in this source on the current stack, innermost first."""
        frame = frame or sys._getframe(1)
        found = []
        while frame is not None:
            if self.is_ours(frame.f_code.co_filename):
                found.append(frame.f_lineno)
            frame = frame.f_back
        return found

    def traceback_line(self, tb: TracebackType | None) -> int | None:
        """The innermost line of this source in a traceback (where an exception surfaced)."""
        line = None
        for frame_summary in traceback.extract_tb(tb):
            if self.is_ours(frame_summary.filename):
                line = frame_summary.lineno
        return line

    def op_line(self, op_traceback) -> int | None:
        """The innermost line of this source where a graph op was created."""
        line = None
        for frame in op_traceback or ():
            if self.is_ours(frame.filename):
                line = frame.lineno
        return line
