"""The Report as text in the style of rustc: level[code], location, code frame, notes, help."""

from __future__ import annotations

import copy
import dataclasses
import os
import re

from gradmagic.report.model import Finding, Report

COLORS = {"error": "\033[1;31m", "warning": "\033[1;33m", "info": "\033[1;36m", "help": "\033[1;32m",
          "bold": "\033[1m", "dim": "\033[2m", "reset": "\033[0m"}


_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # Keras bolds parts of its exception messages


# C0 controls but newline and tab (a CR only alone: CRLF line ends stay), DEL and C1 controls
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")
_NOT_SHOWN = ("graph", "history")  # report fields the text does not show: not copied


def escaped(value: object, field_name: str = "") -> object:
    """A copy of ``value`` (a string, or a report, finding, ... holding strings) whose control
    characters are written ``\\xNN``: user strings (layer names, messages, source lines) cannot
    drive the terminal. Keras's own markup in an exception message is dropped first."""
    if isinstance(value, str):
        if field_name == "exception_message":
            value = _ANSI.sub("", value)
        return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        duplicate = copy.copy(value)
        for item in dataclasses.fields(value):
            if item.name not in _NOT_SHOWN:
                object.__setattr__(duplicate, item.name, escaped(getattr(value, item.name), item.name))
        return duplicate
    if isinstance(value, (list, tuple)):
        items = [escaped(item) for item in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        return {escaped(key): escaped(item) for key, item in value.items()}
    return value


def _paint(text: str, style: str, color: bool) -> str:
    return f"{COLORS[style]}{text}{COLORS['reset']}" if color else text


def code_frame(source_lines: list[str], line: int, color: bool = False, context: int = 1,
               span: list[int] | None = None, label: str | None = None) -> list[str]:
    """Numbered lines around ``line`` with carets under the offending text (``span``) or line,
    followed by ``label``."""
    first = max(1, line - context)
    last = min(len(source_lines), line)
    width = len(str(last))
    out = [f"{' ' * width} |"]
    for number in range(first, last + 1):
        text = source_lines[number - 1].rstrip()
        out.append(f"{number:>{width}} | {text}")
        if number == line:
            stripped = text.lstrip()
            start, end = span if span else (len(text) - len(stripped), len(text))
            caret = " " * start + "^" * max(1, end - start) + (f" {label}" if label else "")
            out.append(f"{' ' * width} | {_paint(caret, 'error', color)}")
    return out


def render_finding(finding: Finding, source_lines: list[str], filename: str, color: bool = False) -> str:
    head = f"{finding.severity}[{finding.code}]"
    lines = [f"{_paint(head, finding.severity, color)}: {_paint(finding.message, 'bold', color)}"]
    location = f"{filename}:{finding.line}:{_column(finding, source_lines)}" if finding.line else filename
    if finding.layer:
        location += f" (layer `{finding.layer}`)"
    lines.append(f"  --> {location}")
    if finding.line and 1 <= finding.line <= len(source_lines):
        lines.extend("  " + row for row in code_frame(source_lines, finding.line, color, span=finding.span,
                                                         label=finding.label))
    for note in finding.notes:
        lines.append(f"   = note: {note}")
    fits = (finding.evidence or {}).get("fits")
    if len(finding.layer_names) > 1:
        names = finding.layer_names
        listed = ", ".join(f"`{name}`" for name in names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12 else "")
        lines.append(f"   = in {len(names)} layers: {listed}")
    if isinstance(fits, list) and len(fits) > 1:
        listed = ", ".join(f"#{index + 1}" for index in fits[:12]) + (" ..." if len(fits) > 12 else "")
        lines.append(f"   = in {len(fits)} fit calls: {listed}")
    if finding.help:
        lines.append(f"   = {_paint('help', 'help', color)}: {finding.help}")
    for fix in finding.fixes:
        lines.append(f"   = fix [{fix.safety}]: {fix.title}")
        lines.extend(_diff_rows(fix.diff, color))
    return "\n".join(lines)


def _column(finding: Finding, source_lines: list[str]) -> int:
    """1-based column of the offending text: the underlined span, else the statement's first character."""
    if finding.span:
        return finding.span[0] + 1
    text = source_lines[finding.line - 1] if finding.line and 1 <= finding.line <= len(source_lines) else ""
    return len(text) - len(text.lstrip()) + 1


DIFF_ROWS = 12


def _diff_rows(diff: str, color: bool) -> list[str]:
    """The changed lines of a fix, as ruff's ``--diff`` shows them (hunk headers and context trimmed)."""
    rows = [row for row in diff.splitlines() if row[:1] in "+-" and not row.startswith(("+++", "---"))]
    shown = [f"     | {_paint(row, 'help' if row.startswith('+') else 'error', color)}" for row in rows[:DIFF_ROWS]]
    if len(rows) > DIFF_ROWS:
        shown.append(f"     | ... {len(rows) - DIFF_ROWS} more changed lines")
    return shown


def _short(value: object, limit: int = 80) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _finding_blocks(report: Report, source_lines: list[str], filename: str, color: bool) -> list[str]:
    """One block per cause; its consequences follow inside it (``= followed by: ...``).

    A consequence's fixes are its cause's (see ``run_rules``), so they are not said twice.
    """
    count = len(report.findings)
    roots = [i for i, f in enumerate(report.findings)
             if f.caused_by is None or not 0 <= f.caused_by < count or f.caused_by == i]
    shown: set[int] = set()
    blocks = []
    for index in roots:
        block = render_finding(report.findings[index], source_lines, filename, color)
        for consequence in report.consequences_of(index):
            if consequence in shown or consequence in roots:
                continue
            shown.add(consequence)
            block += "\n" + _followed_by(report.findings[consequence], filename, color)
        blocks.append(block)
    for index, finding in enumerate(report.findings):  # a link that reaches no cause: shown in full
        if index not in shown and index not in roots:
            blocks.append(render_finding(finding, source_lines, filename, color))
    return blocks


def _followed_by(finding: Finding, filename: str, color: bool) -> str:
    head = _paint(f"{finding.severity}[{finding.code}]", finding.severity, color)
    location = f"{filename}:{finding.line}" if finding.line else filename
    if finding.layer:
        location += f" (layer `{finding.layer}`)"
    return f"   = followed by: {head} {finding.name}: {finding.message} --> {location}"


def render_report(report: Report, color: bool | None = None) -> str:
    """The whole report: one block per finding, fit statuses, then a summary line."""
    if color is None:
        color = os.environ.get("NO_COLOR") is None and os.environ.get("FORCE_COLOR") is not None
    report = escaped(report)
    source_lines = report.source.splitlines()
    filename = os.path.basename(report.filename) if report.filename else "<cell>"
    blocks = _finding_blocks(report, source_lines, filename, color)
    for fit in report.fits:
        where = f"line {fit.line}" if fit.line else "unknown line"
        text = f"{fit.method} #{fit.index + 1} ({where}): {fit.status}"
        if fit.exception_type:
            message = _short(" ".join(_ANSI.sub("", fit.exception_message or "").split()), 120)
            text += f" with {fit.exception_type}: {message}" if message else f" with {fit.exception_type}"
            if fit.exception_line and fit.exception_line != fit.line:
                text += f" (raised at line {fit.exception_line})"
        blocks.append(_paint("note", "dim", color) + ": " + text)
    for notice in report.notices:
        blocks.append(f"gradmagic: {notice}")
    if report.tool_error:
        blocks.append(f"gradmagic: internal error: {report.tool_error}")
    counts = report.counts()
    if not report.fits:
        summary = "gradmagic: no `fit` call ran, so there was nothing to check"
    elif not report.findings:
        summary = f"gradmagic: {len(report.fits)} fit call(s) checked, no problems found"
        failed = sum(fit.status == "failed" for fit in report.fits)
        if failed:
            summary += f", but {failed} failed for a reason gradmagic has no finding for (see the note above)"
    else:
        summary = (f"gradmagic: {counts['error']} error(s), {counts['warning']} warning(s), "
                   f"{counts['info']} note(s) in {len(report.fits)} fit call(s)")
    blocks.append(summary)
    return "\n\n".join(blocks)
