"""Finding, Fix, FitRecord and Report: the seam between detectors and views.

Everything here is plain data that round-trips through JSON. Field names and
meanings follow the public contract in ``findings.md``; do not rename them.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
Safety = Literal["safe", "review"]
FitStatus = Literal["completed", "failed", "interrupted"]
ScriptExitKind = Literal["completed", "exception", "exit", "interrupted"]

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
    label: str | None = None  # a few words under the carets (rustc's label): what that text does wrong
    caused_by: int | None = None  # index in ``Report.findings`` of the finding this one follows from

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        data = dict(data)
        data["fixes"] = [Fix(**f) for f in data.get("fixes", [])]
        return cls(**data)

    @property
    def fit_indices(self) -> list[int]:
        """The ``fit`` calls this finding was seen in (``evidence["fits"]``); empty when unknown."""
        fits = self.evidence.get("fits") if isinstance(self.evidence, dict) else None
        return list(fits) if isinstance(fits, list) else []

    @property
    def layer_names(self) -> list[str]:
        """Every layer this finding covers: the merged ``evidence["layers"]``, else ``layer``."""
        entries = merged_layers(self)
        if entries:
            return [entry["layer"] for entry in entries]
        return [self.layer] if self.layer else []


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
    # the innermost line of the checked source in the exception's traceback (a ``train_step``
    # line, say), when it differs from where ``fit`` is called; None when unknown
    exception_line: int | None = None


@dataclass
class ScriptExit:
    """How the checked script ended (``python -m gradmagic check``): the contract's ``script_exit``.

    ``status`` is the exit status the script itself asked for: 0 when it ran to its end, 1 for an
    uncaught exception or ``sys.exit("message")``, n for ``sys.exit(n)``, 130 when interrupted.
    """

    kind: ScriptExitKind
    status: int
    exception_type: str | None = None


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
    script_exit: ScriptExit | None = None
    # the Markdown documentation of each code in ``findings`` (``explain CODE``): what views show
    docs: dict[str, str] = field(default_factory=dict)

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

    def consequences_of(self, index: int) -> list[int]:
        """Indices of the findings that follow from ``findings[index]``, directly or not."""
        found: list[int] = []
        frontier = [index]
        while frontier:
            current = frontier.pop(0)
            for i, finding in enumerate(self.findings):
                if finding.caused_by == current and i not in found and i != index:
                    found.append(i)
                    frontier.append(i)
        return found

    def fixes_to_show(self, finding: Finding) -> list[Fix]:
        """``finding.fixes`` less those its causes already offer: views say each fix once.

        (The JSON keeps every finding's fixes: a consequence carries its cause's fixes.)
        """
        offered: set[tuple[str, str]] = set()
        seen: set[int] = set()
        cause = finding.caused_by
        while cause is not None and 0 <= cause < len(self.findings) and cause not in seen:
            seen.add(cause)
            offered.update((fix.id, fix.patched_source) for fix in self.findings[cause].fixes)
            cause = self.findings[cause].caused_by
        return [fix for fix in finding.fixes if (fix.id, fix.patched_source) not in offered]

    def to_dict(self) -> dict[str, Any]:
        """The report as strict-JSON data: NaN/Inf as ``"NaN"``/``"Infinity"``/``"-Infinity"``."""
        return strict_jsonable(asdict(self))

    def to_json(self, **kwargs: Any) -> str:
        kwargs.setdefault("allow_nan", False)  # a bare NaN/Infinity here is a bug: fail loudly
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        data = dict(data)
        data["fits"] = [FitRecord(**f) for f in data.get("fits", [])]
        data["findings"] = [Finding.from_dict(f) for f in data.get("findings", [])]
        if data.get("script_exit") is not None:  # older reports have no ``script_exit``
            data["script_exit"] = ScriptExit(**data["script_exit"])
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> Report:
        return cls.from_dict(json.loads(text))


def strict_jsonable(value: Any) -> Any:
    """A copy of ``value`` that strict JSON accepts.

    NaN and infinities become ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``; NumPy/TF scalars
    and arrays become plain numbers and lists; tuples and sets become lists; anything else
    that is not JSON becomes its ``str``.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return float(value)
    if isinstance(value, dict):
        return {str(key): strict_jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [strict_jsonable(item) for item in value]
    if hasattr(value, "numpy") and callable(value.numpy):  # a TF eager tensor
        try:
            return strict_jsonable(value.numpy())
        except Exception:  # noqa: BLE001 - a symbolic tensor has no value
            return str(value)
    if hasattr(value, "tolist") and callable(value.tolist):  # NumPy scalars and arrays
        try:
            return strict_jsonable(value.tolist())
        except Exception:  # noqa: BLE001
            return str(value)
    for cast in (int, float):
        try:
            as_python = cast(value)
        except (TypeError, ValueError, OverflowError):
            continue
        if as_python == value or (isinstance(as_python, float) and math.isnan(as_python)):
            return strict_jsonable(as_python)
    return str(value)


LISTED_LAYERS = 8  # a merged finding's message names at most this many layers


def listed_layers(entries: list[dict[str, Any]], describe: Any = None) -> str:
    """```dense` (…), `dense_1` (…) … and 3 more``: the layers of a merged finding, for its message."""
    names = []
    for entry in entries[:LISTED_LAYERS]:
        detail = describe(entry) if describe is not None else None
        names.append(f"`{entry['layer']}` ({detail})" if detail else f"`{entry['layer']}`")
    more = len(entries) - LISTED_LAYERS
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


def merged_layers(finding: Finding) -> list[dict[str, Any]] | None:
    """The per-layer entries a layer merge wrote into ``evidence["layers"]``, or None."""
    entries = finding.evidence.get("layers") if isinstance(finding.evidence, dict) else None
    if isinstance(entries, list) and entries and all(isinstance(e, dict) and "layer" in e for e in entries):
        return entries
    return None
