"""The in-graph training-dynamics recorder (issue 4)."""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator

from gradmagic.evidence.fit_evidence import FitEvidence


@contextlib.contextmanager
def recording(evidence: FitEvidence, emit: Callable[[str, Any], None], options: dict[str, Any]) -> Iterator[None]:
    """Record per-step statistics into ``evidence.recording`` while ``fit`` runs. Placeholder."""
    yield
