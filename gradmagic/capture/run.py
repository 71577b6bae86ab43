"""Run a whole source text (a script or a cell) as ``__main__`` under :func:`check`."""

from __future__ import annotations

import builtins
import os
import sys
from dataclasses import dataclass
from typing import Any

from gradmagic.capture.session import check
from gradmagic.report.model import Report


@dataclass
class SourceRun:
    """The report of a run, the namespace it left, and the exception that ended it, if any."""

    report: Report
    namespace: dict[str, Any]
    error: BaseException | None


def run_source(source: str, filename: str = "<gradmagic-source>", *, train: bool = True,
               script_args: list[str] | None = None) -> SourceRun:
    """Execute ``source`` under a check; the script's own exception is caught and returned.

    Raises:
        SyntaxError: when ``source`` does not compile.
    """
    code = compile(source, filename, "exec")
    namespace: dict[str, Any] = {"__name__": "__main__", "__file__": filename, "__builtins__": builtins}
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = [filename, *(script_args or [])]
    if os.path.dirname(filename):
        sys.path.insert(0, os.path.dirname(filename))
    error: BaseException | None = None
    try:
        with check(source, filename, reraise=True, train=train) as report:
            try:
                exec(code, namespace)
            except SystemExit:
                pass
            except (Exception, KeyboardInterrupt) as raised:  # noqa: BLE001 - the script's own error
                error = raised
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
    return SourceRun(report, namespace, error)
