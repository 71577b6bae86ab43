"""Tracebacks as they would be without gradmagic: its own frames taken out.

Every way of checking (``%%gradcheck``, ``%gradcheck on``, ``gradmagic.check()``, the CLI) puts
gradmagic's wrapper around ``fit``; the user's traceback shows their frames and Keras's, never
the wrapper's. Imports nothing heavy: the magics load this before TensorFlow is needed.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

_PACKAGE = str(Path(__file__).resolve().parent.parent) + os.sep


def is_gradmagic_frame(tb: TracebackType) -> bool:
    filename = tb.tb_frame.f_code.co_filename
    return filename.startswith(_PACKAGE) or os.path.abspath(filename).startswith(_PACKAGE)


def without_gradmagic_frames(tb: TracebackType | None) -> TracebackType | None:
    """``tb`` without the frames of gradmagic's own files: what the traceback would be without it."""
    nodes = []
    while tb is not None:
        nodes.append(tb)
        tb = tb.tb_next
    if not any(is_gradmagic_frame(node) for node in nodes):
        return nodes[0] if nodes else None
    rebuilt = None
    for node in reversed(nodes):
        if not is_gradmagic_frame(node):
            rebuilt = TracebackType(rebuilt, node.tb_frame, node.tb_lasti, node.tb_lineno)
    return rebuilt


def strip_gradmagic_frames(error: BaseException) -> None:
    """Drop gradmagic's frames from ``error``'s traceback and from those of its causes and contexts."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [error]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        try:
            current.__traceback__ = without_gradmagic_frames(current.__traceback__)
        except Exception:  # noqa: BLE001 - an exception type that refuses: leave it
            pass
        todo += [current.__cause__, current.__context__]
