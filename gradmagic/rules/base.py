"""What every rule module provides: a code, a name, a docstring and a detector."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from gradmagic.core.source import SourceUnit
from gradmagic.evidence.fit_evidence import FitEvidence
from gradmagic.report.model import Finding, Fix, Severity


@dataclass
class RuleContext:
    """What a detector sees: the checked source and the evidence of one ``fit`` call."""

    source: SourceUnit
    fit: FitEvidence
    earlier_fits: list[FitEvidence] = field(default_factory=list)


@dataclass(frozen=True)
class Rule:
    """One finding code. ``detect`` is pure: evidence in, findings out; it never renders."""

    code: str
    name: str
    severity: Severity
    detect: Callable[[RuleContext], Iterable[Finding]]
    doc: str
    symptom: bool = False  # reports an effect (GM001/GM002); takes the fixes of the causes found with it

    def finding(self, message: str, *, line: int | None = None, layer: str | None = None,
                evidence: dict | None = None, fixes: list[Fix] | None = None, help: str | None = None,
                notes: list[str] | None = None, severity: Severity | None = None,
                step: int | None = None, span: list[int] | None = None,
                label: str | None = None) -> Finding:
        return Finding(
            code=self.code,
            name=self.name,
            severity=severity or self.severity,
            message=message,
            line=line,
            layer=layer,
            evidence=evidence or {},
            fixes=fixes or [],
            help=help,
            notes=notes or [],
            step=step,
            span=span,
            label=label,
        )
