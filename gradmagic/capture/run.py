"""Run a whole source text (a script or a cell) as ``__main__`` under :func:`check`."""

from __future__ import annotations

import builtins
import os
import sys
import types
from dataclasses import dataclass
from typing import Any

from gradmagic.capture.session import check
from gradmagic.report.model import Report


@dataclass
class SourceRun:
    """The report of a run, the namespace it left, and the exception that ended it, if any.

    ``exit_status`` is the argument of a ``sys.exit(...)`` that ended the script (``None``
    when it ran to its end or raised).
    """

    report: Report
    namespace: dict[str, Any]
    error: BaseException | None
    exit_status: int | str | None = None


def run_source(source: str, filename: str = "<gradmagic-source>", *, train: bool = True,
               script_args: list[str] | None = None) -> SourceRun:
    """Execute ``source`` under a check; the script's own exception is caught and returned.

    The source runs in a fresh module installed as ``sys.modules["__main__"]`` (as
    ``python FILE`` does), so ``pickle``, ``dataclasses`` and ``import __main__`` find
    what the script defines.

    Raises:
        SyntaxError: when ``source`` does not compile.
    """
    code = compile(source, filename, "exec")
    module = types.ModuleType("__main__")
    module.__dict__.update({"__file__": filename, "__builtins__": builtins})
    namespace = module.__dict__
    saved_argv, saved_path, saved_main = sys.argv, list(sys.path), sys.modules.get("__main__")
    sys.argv = [filename, *(script_args or [])]
    if os.path.dirname(filename):
        sys.path.insert(0, os.path.dirname(filename))
    sys.modules["__main__"] = module
    error: BaseException | None = None
    exit_status: int | str | None = None
    try:
        with check(source, filename, reraise=True, train=train) as report:
            try:
                exec(code, namespace)
            except SystemExit as stop:
                exit_status = stop.code
            except (Exception, KeyboardInterrupt) as raised:  # noqa: BLE001 - the script's own error
                error = raised
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
        if saved_main is not None:
            sys.modules["__main__"] = saved_main
        else:
            sys.modules.pop("__main__", None)
    return SourceRun(report, namespace, error, exit_status)
