"""``python -m gradmagic check FILE.py [--json OUT]`` and ``python -m gradmagic explain CODE``."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

EXIT_CLEAN, EXIT_ERRORS, EXIT_TOOL = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gradmagic", description="Find why Keras training fails.")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="run a script under gradmagic and report what is wrong",
                                usage="python -m gradmagic check FILE [--json OUT] [--no-train] [-- SCRIPT_ARGS...]")
    check.add_argument("file", help="the Python script to run as __main__")
    check.add_argument("--json", metavar="OUT", help="also write the report as JSON to OUT")
    check.add_argument("--no-train", action="store_true", help="probe and pre-flight only; skip training")
    explain = commands.add_parser("explain", help="print the documentation of a finding code")
    explain.add_argument("code", help="a finding code such as GM003")
    commands.add_parser("codes", help="list every finding code")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    script_args = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    args = _parser().parse_args(argv)
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


def _write_json(report, path: str | None) -> None:
    if path:
        Path(path).write_text(report.to_json(indent=2))


def run_check(file: str, *, json_out: str | None = None, train: bool = True,
              script_args: list[str] | None = None) -> int:
    """Run ``file`` as ``__main__`` under capture; print the report; return the exit code."""
    from gradmagic.report.model import Report

    path = Path(file)
    try:
        source = path.read_text()
    except OSError as error:
        message = f"cannot read {file}: {error.strerror or error}"
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

    try:
        report = _run_script(source, filename, train, script_args or [])
        from gradmagic.views.text import render_report

        print(render_report(report, color=sys.stdout.isatty() and "NO_COLOR" not in os.environ))
    except Exception as error:  # noqa: BLE001 - gradmagic's own failure: one line, exit 2
        message = f"{type(error).__name__}: {error}"
        print(f"gradmagic: internal error: {message}", file=sys.stderr)
        _write_json(Report(source=source, filename=filename, tool_error=message), json_out)
        return EXIT_TOOL
    _write_json(report, json_out)
    return EXIT_ERRORS if report.has_errors else EXIT_CLEAN


def _run_script(source: str, filename: str, train: bool, script_args: list[str]):
    from gradmagic.capture.run import run_source

    run = run_source(source, filename, train=train, script_args=script_args)
    if isinstance(run.error, KeyboardInterrupt):
        print("gradmagic: the script was interrupted", file=sys.stderr)
    elif run.error is not None:
        _print_user_traceback(run.error, filename)
    return run.report


def _print_user_traceback(error: BaseException, filename: str) -> None:
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == filename]
    print("Traceback (script frames only):", file=sys.stderr)
    print("".join(traceback.format_list(frames)).rstrip(), file=sys.stderr)
    print(f"{type(error).__name__}: {error}", file=sys.stderr)
