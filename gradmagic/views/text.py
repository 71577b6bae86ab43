"""The Report as text in the style of rustc: level[code], location, code frame, notes, help."""

from __future__ import annotations

import os
import re

from gradmagic.report.model import Finding, Report

COLORS = {"error": "\033[1;31m", "warning": "\033[1;33m", "info": "\033[1;36m", "help": "\033[1;32m",
          "bold": "\033[1m", "dim": "\033[2m", "reset": "\033[0m"}


_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # Keras bolds parts of its exception messages


def _paint(text: str, style: str, color: bool) -> str:
    return f"{COLORS[style]}{text}{COLORS['reset']}" if color else text


def code_frame(source_lines: list[str], line: int, color: bool = False, context: int = 1,
               span: list[int] | None = None) -> list[str]:
    """Numbered lines around ``line`` with carets under the offending text (``span``) or line."""
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
            caret = " " * start + "^" * max(1, end - start)
            out.append(f"{' ' * width} | {_paint(caret, 'error', color)}")
    return out


def render_finding(finding: Finding, source_lines: list[str], filename: str, color: bool = False) -> str:
    head = f"{finding.severity}[{finding.code}]"
    lines = [f"{_paint(head, finding.severity, color)}: {_paint(finding.message, 'bold', color)}"]
    location = f"{filename}:{finding.line}" if finding.line else filename
    if finding.layer:
        location += f" (layer `{finding.layer}`)"
    lines.append(f"  --> {location}")
    if finding.line and 1 <= finding.line <= len(source_lines):
        lines.extend("  " + row for row in code_frame(source_lines, finding.line, color, span=finding.span))
    for note in finding.notes:
        lines.append(f"   = note: {note}")
    if finding.evidence:
        facts = ", ".join(f"{key}={_short(value)}" for key, value in finding.evidence.items())
        lines.append(f"   = evidence: {facts}")
    if finding.help:
        lines.append(f"   = {_paint('help', 'help', color)}: {finding.help}")
    for fix in finding.fixes:
        lines.append(f"   = fix [{fix.safety}]: {fix.title}")
    return "\n".join(lines)


def _short(value: object, limit: int = 80) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def render_report(report: Report, color: bool | None = None) -> str:
    """The whole report: one block per finding, fit statuses, then a summary line."""
    if color is None:
        color = os.environ.get("NO_COLOR") is None and os.environ.get("FORCE_COLOR") is not None
    source_lines = report.source.splitlines()
    filename = os.path.basename(report.filename) if report.filename else "<cell>"
    blocks = [render_finding(f, source_lines, filename, color) for f in report.findings]
    for fit in report.fits:
        where = f"line {fit.line}" if fit.line else "unknown line"
        text = f"{fit.method} #{fit.index + 1} ({where}): {fit.status}"
        if fit.exception_type:
            message = _short(" ".join(_ANSI.sub("", fit.exception_message or "").split()), 120)
            text += f" with {fit.exception_type}: {message}" if message else f" with {fit.exception_type}"
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
