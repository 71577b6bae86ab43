"""Pre-flight: static checks of loss, output, targets and data before the first step (issue 3)."""

from __future__ import annotations

from typing import Any

from gradmagic.capture.source import SourceUnit
from gradmagic.evidence.fit_evidence import FitEvidence


def run_preflight(evidence: FitEvidence, source: SourceUnit) -> Any:
    """Measure what the GM1xx/GM2xx detectors need. Placeholder until issue 3 lands."""
    return None
