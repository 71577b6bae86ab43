"""Finding, Fix, FitRecord and Report: the seam between detectors and views.

Everything here is plain data that round-trips through JSON. Field names and
meanings follow the public contract in ``findings.md``; do not rename them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
Safety = Literal["safe", "review"]
FitStatus = Literal["completed", "failed", "interrupted"]

SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}


@dataclass
class Fix:
    """One mechanical rewrite of the checked source.

    ``patched_source`` is the whole cell/script after the fix; ``diff`` is a unified diff.
    """

    id: str
    title: str
    safety: Safety
    patched_source: str
    diff: str
    reason: str = ""


@dataclass
class Finding:
    """One diagnosis with a stable code (see ``gradmagic.rules.registry``)."""

    code: str
    name: str
    severity: Severity
    message: str
    line: int | None = None
    layer: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    fixes: list[Fix] = field(default_factory=list)
    help: str | None = None
    notes: list[str] = field(default_factory=list)
    step: int | None = None
    span: list[int] | None = None  # [start, end) columns of the offending text on ``line``

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        data = dict(data)
        data["fixes"] = [Fix(**f) for f in data.get("fixes", [])]
        return cls(**data)


@dataclass
class FitRecord:
    """What happened to one ``fit`` call: where it is written and how it ended."""

    index: int
    line: int | None
    status: FitStatus
    exception_type: str | None = None
    exception_message: str | None = None
    model_name: str | None = None
    method: str = "fit"


@dataclass
class Report:
    """Every finding for every ``fit`` call of one cell or script."""

    source: str = ""
    filename: str = "<cell>"
    fits: list[FitRecord] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    tool_error: str | None = None
    notices: list[str] = field(default_factory=list)
    cell_id: str | None = None
    graph: dict[str, Any] | None = None
    history: dict[str, Any] | None = None
    duration_s: float | None = None

    @property
    def has_errors(self) -> bool:
        return any(f.severity == "error" for f in self.findings)

    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    def by_code(self, code: str) -> list[Finding]:
        return [f for f in self.findings if f.code == code]

    def counts(self) -> dict[str, int]:
        counts = {"error": 0, "warning": 0, "info": 0}
        for finding in self.findings:
            counts[finding.severity] += 1
        return counts

    def add(self, finding: Finding) -> None:
        """Add a finding unless the same code, line, layer and message is already there."""
        key = (finding.code, finding.line, finding.layer, finding.message)
        for existing in self.findings:
            if (existing.code, existing.line, existing.layer, existing.message) == key:
                return
        self.findings.append(finding)
        self.findings.sort(key=lambda f: SEVERITY_ORDER[f.severity])  # stable: keeps the rules' order

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), default=_jsonable, **kwargs)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        data = dict(data)
        data["fits"] = [FitRecord(**f) for f in data.get("fits", [])]
        data["findings"] = [Finding.from_dict(f) for f in data.get("findings", [])]
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> Report:
        return cls.from_dict(json.loads(text))


def _jsonable(value: Any) -> Any:
    """Numbers from NumPy/TF become plain Python numbers in JSON."""
    for cast in (int, float):
        try:
            as_python = cast(value)
        except (TypeError, ValueError):
            continue
        if as_python == value:
            return as_python
    return str(value)
