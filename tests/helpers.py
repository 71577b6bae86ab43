"""Shared test helpers: run programs under gradmagic, verify fixes, compare weights."""

from __future__ import annotations

import builtins
from pathlib import Path

import keras
import numpy as np

from gradmagic.pipeline.run import SourceRun, run_source
from gradmagic.report.model import Finding, Report

PROGRAMS = Path(__file__).parent / "programs"


def program(name: str) -> Path:
    """``program("broken/gm003_argmax_loss")`` -> the path of that test program."""
    return PROGRAMS / f"{name}.py"


def check_source(source: str, filename: str = "/tmp/gradmagic_test_program.py", **kwargs) -> SourceRun:
    keras.backend.clear_session()
    return run_source(source, filename, **kwargs)


def check_patched(patched_source: str, filename: str) -> SourceRun:
    """Check a fix's patched source under a filename of its own: TF's autograph reads a function's source
    through linecache, and the original file on disk must not stand in for the patched text."""
    return check_source(patched_source, str(Path(filename).with_suffix("")) + "_patched.py")


def check_program(name: str, **kwargs) -> SourceRun:
    path = program(name)
    return check_source(path.read_text(), str(path), **kwargs)


def only(report: Report, code: str) -> Finding:
    found = report.by_code(code)
    assert len(found) == 1, f"expected one {code}, got {report.codes()}"
    return found[0]


def assert_no_new_problems(original: Report, patched: Report, fix_id: str = "") -> None:
    """The re-check of a fix brings no error or warning the original report did not have (findings.md)."""
    new = {f.code for f in patched.findings if f.severity in ("error", "warning")} - set(original.codes())
    assert not new, (fix_id, sorted(new), patched.codes())


def assert_fix_verified(run: SourceRun, code: str, fix_index: int = 0) -> SourceRun:
    """The fix's patched source checks clean of ``code``, brings no new error or warning, and every fit in
    it completes."""
    finding = run.report.by_code(code)[0]
    assert finding.fixes, f"{code} offers no fix"
    fix = finding.fixes[fix_index]
    assert fix.diff.startswith("--- a/"), fix.diff
    patched = check_patched(fix.patched_source, run.report.filename)
    assert code not in patched.report.codes(), (code, patched.report.codes(), fix.patched_source)
    assert patched.report.fits, "the patched source ran no fit"
    assert all(f.status == "completed" for f in patched.report.fits), patched.report.fits
    assert patched.error is None, repr(patched.error)
    assert_no_new_problems(run.report, patched.report, fix.id)
    return patched


def run_plain(source: str, filename: str) -> dict:
    """Run a program without gradmagic; returns its namespace."""
    keras.backend.clear_session()
    namespace = {"__name__": "__main__", "__file__": filename, "__builtins__": builtins}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


def weights_of(namespace: dict, name: str = "model") -> list[np.ndarray]:
    return [np.array(w) for w in namespace[name].get_weights()]
