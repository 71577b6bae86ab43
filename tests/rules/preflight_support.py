"""Assertions the GM1xx/GM2xx tests share: run a broken program, verify every fix trains."""

from __future__ import annotations

import math

from helpers import SourceRun, assert_no_new_problems, check_patched, check_program, only

from gradmagic.report.model import Finding


def check_broken(name: str) -> SourceRun:
    return check_program(f"broken/{name}")


def losses(run: SourceRun) -> list[float]:
    history = run.namespace.get("history")
    assert history is not None and "loss" in history.history, "the program kept no History"
    return [float(v) for v in history.history["loss"]]


def assert_trains(run: SourceRun) -> list[float]:
    """Every fit completed, and the loss is finite and goes down."""
    assert run.error is None, repr(run.error)
    assert run.report.fits and all(f.status == "completed" for f in run.report.fits), run.report.fits
    values = losses(run)
    assert all(math.isfinite(v) for v in values), values
    assert values[-1] < values[0], values
    return values


def assert_every_fix_verified(run: SourceRun, code: str) -> list[SourceRun]:
    """Each offered fix: a unified diff, and its patched source checks clean of ``code`` and trains."""
    finding = only(run.report, code)
    assert finding.fixes, f"{code} offers no fix"
    patched_runs = []
    for fix in finding.fixes:
        assert fix.diff.startswith("--- a/"), fix.diff
        assert fix.reason, f"fix {fix.id} has no reason"
        assert fix.safety in ("safe", "review")
        patched = check_patched(fix.patched_source, run.report.filename)
        assert code not in patched.report.codes(), (fix.id, patched.report.codes(), fix.patched_source)
        assert_trains(patched)
        assert_no_new_problems(run.report, patched.report, fix.id)
        patched_runs.append(patched)
    return patched_runs


def finding(run: SourceRun, code: str, severity: str, line: int) -> Finding:
    found = only(run.report, code)
    assert found.severity == severity, (found.severity, found.message)
    assert found.line == line, (found.line, found.message)
    return found
