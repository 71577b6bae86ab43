"""``python -m gradmagic check FILE.py [--json OUT]`` and ``python -m gradmagic explain CODE``."""

from __future__ import annotations

import argparse
import os
import sys
import tokenize
import traceback
from pathlib import Path

from gradmagic.core.tracebacks import strip_gradmagic_frames

EXIT_CLEAN, EXIT_ERRORS, EXIT_TOOL, EXIT_INTERRUPTED = 0, 1, 2, 130


class _UsageError(Exception):
    """A bad command line; raised instead of argparse's exit so the JSON report is still written."""

    def __init__(self, message: str, usage: str = "") -> None:
        super().__init__(message)
        self.usage = usage


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse would print and exit 2 here
        raise _UsageError(message, self.format_usage())


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m gradmagic", description="Find why Keras training fails.")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="run a script under gradmagic and report what is wrong",
                                usage="python -m gradmagic check FILE [--json OUT] [--no-train] [-- SCRIPT_ARGS...]")
    check.add_argument("file", help="the Python script to run as __main__")
    check.add_argument("--json", metavar="OUT", help="also write the report as JSON to OUT")
    check.add_argument("--no-train", action="store_true", help="probe and pre-flight only; skip training")
    explain = commands.add_parser("explain", help="print the documentation of a finding code")
    explain.add_argument("code", help="a finding code such as GM003")
    commands.add_parser("codes", help="list every finding code")
    parser.usage_of = {"check": check.format_usage(), "explain": explain.format_usage()}
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    script_args = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    parser = _parser()
    try:
        args, unknown = parser.parse_known_args(argv)
        if unknown:
            raise _UsageError(f"unrecognized arguments: {' '.join(unknown)} "
                              "(arguments for the script go after `--`)", parser.usage_of.get(args.command, ""))
    except _UsageError as error:
        from gradmagic.report.model import Report

        print((error.usage or parser.format_usage()).rstrip(), file=sys.stderr)
        print(f"error: {error}", file=sys.stderr)
        _write_json(Report(filename="", tool_error=f"usage error: {error}"), _json_path(argv))
        return EXIT_TOOL
    if args.command == "explain":
        return _explain(args.code)
    if args.command == "codes":
        from gradmagic.rules.registry import RULES

        for rule in RULES.values():
            print(f"{rule.code}  {rule.severity:<7}  {rule.name}")
        return EXIT_CLEAN
    return run_check(args.file, json_out=args.json, train=not args.no_train, script_args=script_args)


def _explain(code: str) -> int:
    from gradmagic.rules.registry import RULES

    rule = RULES.get(code.upper())
    if rule is None:
        print(f"error: unknown finding code `{code}` (see `python -m gradmagic codes`)", file=sys.stderr)
        return EXIT_TOOL
    print(f"{rule.code} {rule.name} ({rule.severity})\n")
    print((rule.doc or "").strip())
    return EXIT_CLEAN


def _json_path(argv: list[str]) -> str | None:
    """The ``--json OUT`` of a command line argparse rejected."""
    for index, arg in enumerate(argv):
        if arg.startswith("--json="):
            return arg.split("=", 1)[1]
        if arg == "--json" and index + 1 < len(argv):
            return argv[index + 1]
    return None


def _write_json(report, path: str | None) -> bool:
    """Write the report to ``path`` (when given); False, with one line on stderr, when it cannot."""
    if not path:
        return True
    try:
        Path(path).write_text(report.to_json(indent=2))
    except OSError as error:
        print(f"error: cannot write the JSON report to {path}: {error.strerror or error}", file=sys.stderr)
        return False
    return True


def _read_source(path: Path) -> str:
    """The script's text, decoded as Python does: a ``coding:`` cookie or a BOM, else UTF-8."""
    with tokenize.open(path) as file:
        return file.read()


def run_check(file: str, *, json_out: str | None = None, train: bool = True,
              script_args: list[str] | None = None) -> int:
    """Run ``file`` as ``__main__`` under capture; print the report; return the exit code."""
    from gradmagic.report.model import Report

    path = Path(file)
    try:
        source = _read_source(path)
    except (OSError, SyntaxError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        message = f"cannot read {file}: {reason}"
        print(f"error: {message}", file=sys.stderr)
        _write_json(Report(filename=str(file), tool_error=message), json_out)
        return EXIT_TOOL
    filename = str(path.resolve())
    try:
        compile(source, filename, "exec")
    except SyntaxError as error:
        message = f"syntax error in {file}:{error.lineno}: {error.msg}"
        print(f"error: {message}", file=sys.stderr)
        _write_json(Report(source=source, filename=filename, tool_error=message), json_out)
        return EXIT_TOOL

    report = None
    try:
        report = _run_script(source, filename, train, script_args or [], argv0=file)
        from gradmagic.views.text import render_report

        print(render_report(report, color=sys.stdout.isatty() and "NO_COLOR" not in os.environ))
    except KeyboardInterrupt:  # Ctrl-C while gradmagic itself works: keep the partial report
        from gradmagic.report.model import ScriptExit

        print("gradmagic: interrupted", file=sys.stderr)
        report = report or Report(source=source, filename=filename)
        if report.script_exit is None or report.script_exit.kind == "completed":
            report.script_exit = ScriptExit("interrupted", EXIT_INTERRUPTED, "KeyboardInterrupt")
        _write_json(report, json_out)
        return EXIT_INTERRUPTED
    except Exception as error:  # noqa: BLE001 - gradmagic's own failure: one line, exit 2
        message = f"{type(error).__name__}: {error}"
        print(f"gradmagic: internal error: {message}", file=sys.stderr)
        report = report or Report(source=source, filename=filename)  # keep what was found
        report.tool_error = message
        _write_json(report, json_out)
        return EXIT_TOOL
    if not _write_json(report, json_out):
        return EXIT_TOOL
    return exit_status(report)


def exit_status(report) -> int:
    """The exit status of ``check`` for a report whose script ran (the table in findings.md).

    The script's own ending decides, as under ``python FILE``: 1 for an uncaught exception,
    n for ``sys.exit(n)``, 130 when interrupted; a script that ran to its end (or called
    ``sys.exit(0)``) exits 1 when a finding is an error, else 0.
    """
    ended = report.script_exit
    if ended is None or ended.kind == "completed" or (ended.kind == "exit" and ended.status == 0):
        return EXIT_ERRORS if report.has_errors else EXIT_CLEAN
    return ended.status


def _run_script(source: str, filename: str, train: bool, script_args: list[str], argv0: str | None = None):
    from gradmagic.pipeline.run import run_source

    run = run_source(source, filename, train=train, script_args=script_args, argv0=argv0)
    if isinstance(run.error, KeyboardInterrupt):
        print("gradmagic: the script was interrupted", file=sys.stderr)
    elif run.error is not None:
        _print_user_traceback(run.error)
        _note_script_error(run.report, run.error, filename, train)
    if run.exit_status is not None and not isinstance(run.exit_status, int):
        print(run.exit_status, file=sys.stderr)  # what Python prints for ``sys.exit("message")``
    elif run.exit_status not in (None, 0):
        print(f"gradmagic: the script called `sys.exit({run.exit_status!r})`", file=sys.stderr)
    return run.report


def _note_script_error(report, error: BaseException, filename: str, train: bool = True) -> None:
    """An exception raised outside every ``fit`` goes into the report, so the JSON keeps it too."""
    from gradmagic.core.errors import error_summary

    text = f"{type(error).__name__}: {error_summary(type(error).__name__, str(error))}".rstrip(": ")
    if any(fit.exception_type == type(error).__name__ and fit.exception_message == str(error)
           for fit in report.fits):
        return  # a failed fit, already in ``fits``
    lines = [f.lineno for f in traceback.extract_tb(error.__traceback__) if f.filename == filename]
    where = f" at line {lines[-1]}" if lines else ""
    text = text if len(text) <= 120 else text[:117] + "..."
    hint = " (with `--no-train`, `fit` returns None)" if not train and report.fits else ""
    report.notices.append(f"the script stopped{where} with `{text}`{hint}")


def _print_user_traceback(error: BaseException) -> None:
    """The traceback Python would print for the script alone: gradmagic's own frames left out."""
    strip_gradmagic_frames(error)
    traceback.print_exception(error, file=sys.stderr)
