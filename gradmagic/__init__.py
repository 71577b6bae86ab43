"""gradmagic: find why Keras training fails, and fix it.

Public API only; the implementation lives in the subpackages.
"""

from gradmagic.capture.session import check
from gradmagic.report.model import Finding, Fix, FitRecord, Report
from gradmagic.rules.registry import RULES

__version__ = "0.1.0"
__all__ = ["check", "Finding", "Fix", "FitRecord", "Report", "RULES", "explain", "load_ipython_extension"]


def explain(code: str) -> str:
    """The documentation of a finding code, e.g. ``explain("GM003")``."""
    return RULES[code.upper()].doc


def load_ipython_extension(ipython) -> None:  # pragma: no cover - exercised by kernel tests
    from gradmagic.magics import load_ipython_extension as load

    load(ipython)


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "_labextension", "dest": "gradmagic"}]
