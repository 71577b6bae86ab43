"""gradmagic: find why Keras training fails, and fix it.

Public API only; the implementation lives in the subpackages. TensorFlow is imported on
first use of :func:`check` or :data:`RULES`, so ``python -m gradmagic`` answers usage
errors without loading it.
"""

from typing import Any

from gradmagic.report.model import Finding, Fix, FitRecord, Report

__version__ = "0.1.0"
__all__ = ["check", "check_source", "Finding", "Fix", "FitRecord", "Report", "RULES", "explain",
           "load_ipython_extension"]


def __getattr__(name: str) -> Any:
    if name == "check":
        from gradmagic.pipeline.session import check

        return check
    if name == "check_source":
        from gradmagic.pipeline.run import run_source

        return run_source
    if name == "RULES":
        from gradmagic.rules.registry import RULES

        return RULES
    raise AttributeError(f"module 'gradmagic' has no attribute {name!r}")


def explain(code: str) -> str:
    """The documentation of a finding code, e.g. ``explain("GM003")``."""
    from gradmagic.rules.registry import RULES

    return RULES[code.upper()].doc


def load_ipython_extension(ipython) -> None:
    """``%load_ext gradmagic``: register ``%%gradcheck`` and ``%gradcheck``."""
    from gradmagic.magics import load_ipython_extension as load

    load(ipython)


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "_labextension", "dest": "gradmagic"}]
