"""Run a whole source text (a script or a cell) as ``__main__`` under :func:`check`."""

from __future__ import annotations

import builtins
import os
import sys
import types
from dataclasses import dataclass
from typing import Any

from gradmagic.pipeline.session import check
from gradmagic.report.model import Report, ScriptExit


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
               script_args: list[str] | None = None, argv0: str | None = None) -> SourceRun:
    """Execute ``source`` under a check; the script's own exception is caught and returned.

    The source runs in a fresh module installed as ``sys.modules["__main__"]`` (as
    ``python FILE`` does), so ``pickle``, ``dataclasses`` and ``import __main__`` find
    what the script defines. ``sys.argv[0]`` is ``argv0`` (the path as the user typed it,
    as ``python FILE`` leaves it), defaulting to ``filename``. How the script ended is kept
    in ``report.script_exit``.

    Raises:
        SyntaxError: when ``source`` does not compile.
    """
    code = compile(source, filename, "exec")
    module = types.ModuleType("__main__")
    module.__dict__.update({"__file__": filename, "__builtins__": builtins})
    namespace = module.__dict__
    saved_argv, saved_path, saved_main = sys.argv, list(sys.path), sys.modules.get("__main__")
    sys.argv = [filename if argv0 is None else argv0, *(script_args or [])]
    if os.path.dirname(filename):
        sys.path.insert(0, os.path.dirname(filename))
    sys.modules["__main__"] = module
    error: BaseException | None = None
    exit_status: int | str | None = None
    stopped = False
    try:
        with check(source, filename, reraise=True, train=train) as report:
            try:
                exec(code, namespace)
            except SystemExit as stop:
                exit_status, stopped = stop.code, True
            except BaseException as raised:  # noqa: BLE001 - the script's own error (KeyboardInterrupt too)
                error = raised
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
        if saved_main is not None:
            sys.modules["__main__"] = saved_main
        else:
            sys.modules.pop("__main__", None)
    report.script_exit = script_exit(error, exit_status, stopped=stopped)
    return SourceRun(report, namespace, error, exit_status)


def script_exit(error: BaseException | None, exit_status: Any = None, *, stopped: bool = False) -> ScriptExit:
    """How a script ended, as ``python FILE`` would have ended it (``report.script_exit``).

    ``stopped`` is True when the script called ``sys.exit``; ``exit_status`` is its argument.
    """
    if isinstance(error, KeyboardInterrupt):
        return ScriptExit("interrupted", 130, type(error).__name__)
    if error is not None:
        return ScriptExit("exception", 1, type(error).__name__)
    if not stopped:
        return ScriptExit("completed", 0)
    if exit_status is None:
        return ScriptExit("exit", 0)
    if isinstance(exit_status, int):  # bool included: sys.exit(True) exits 1
        return ScriptExit("exit", int(exit_status))
    return ScriptExit("exit", 1)  # sys.exit("message"): Python prints it and exits 1
