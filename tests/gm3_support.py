"""Shared by the GM3xx tests: each program is checked once, each patched source once."""

from __future__ import annotations

from functools import lru_cache

from helpers import assert_no_new_problems, check_patched, check_program

from gradmagic.pipeline.run import SourceRun
from gradmagic.report.model import Finding


@lru_cache(maxsize=None)
def checked(name: str) -> SourceRun:
    return check_program(name)


@lru_cache(maxsize=None)
def _recheck(patched: str, filename: str) -> SourceRun:
    return check_patched(patched, filename)


def finding(name: str, code: str, layer: str | None = ...) -> Finding:
    """The one finding ``code`` (for ``layer``, when given) of program ``name``."""
    found = [f for f in checked(name).report.by_code(code) if layer is ... or f.layer == layer]
    assert len(found) == 1, (code, layer, checked(name).report.codes())
    return found[0]


def assert_all_fixes_verified(name: str, code: str) -> list[SourceRun]:
    """Every fix offered for ``code`` trains cleanly of ``code`` when checked again."""
    run = checked(name)
    runs = []
    for found in run.report.by_code(code):
        assert found.fixes, f"{code} offers no fix in {name}"
        for fix in found.fixes:
            assert fix.diff.startswith("--- a/"), fix.diff
            patched = _recheck(fix.patched_source, run.report.filename)
            assert code not in patched.report.codes(), (fix.id, patched.report.codes(), fix.patched_source)
            assert patched.report.fits and all(f.status == "completed" for f in patched.report.fits)
            assert patched.error is None, repr(patched.error)
            assert_no_new_problems(run.report, patched.report, fix.id)
            runs.append(patched)
    return runs
