"""The one writer of a :class:`Report`: findings go in through it.

One cause seen in several ``fit`` calls or layers stays one finding, and every finding's
``caused_by`` is linked, by the policy the rule registry hands in (``ReportPolicy``): the report
itself knows no rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from gradmagic.report.model import SEVERITY_ORDER, Finding, Report, listed_layers, merged_layers


@dataclass(frozen=True)
class ReportPolicy:
    """How findings relate: the rule registry's tables, as data."""

    #: codes reported per layer: one finding per fit lists every layer (``evidence["layers"]``)
    layer_merged_codes: frozenset[str] = frozenset()
    #: code -> the message of a finding merged over several layers
    layer_summaries: Mapping[str, Callable[[list[dict[str, Any]]], str]] = field(default_factory=dict)
    #: symptom code -> the codes it follows from in the same fit (first found wins)
    consequences: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: code -> its Markdown documentation (``explain CODE``), copied into ``Report.docs``
    docs: Mapping[str, str] = field(default_factory=dict)


class ReportWriter:
    """Adds findings to ``report`` under ``policy``."""

    def __init__(self, report: Report, policy: ReportPolicy) -> None:
        self.report = report
        self.policy = policy

    def add(self, finding: Finding, fit: int | None = None) -> None:
        """Add a finding; one cause seen in several ``fit`` calls or layers stays one finding.

        ``fit`` is the index of the ``fit`` call the finding comes from. With it:

        - a finding with the same code, line and layer as one from an earlier fit is merged
          into that one: its index joins ``evidence["fits"]`` (set to ``[fit]`` on the first);
        - for the per-layer codes (``policy.layer_merged_codes``), a finding of
          the same code and the same fit for another layer is merged too: the layers are listed
          in ``evidence["layers"]``, the first layer keeps ``layer``, ``line`` and ``fixes``.

        Without ``fit``, an exact copy (code, line, layer, message) is dropped. Then every
        finding's ``caused_by`` is linked again and ``findings`` re-ordered (causes first).
        """
        if any(existing is finding for existing in self.report.findings):
            return
        if finding.code not in self.report.docs:
            self.report.docs[finding.code] = self.policy.docs.get(finding.code, "")
        if fit is None:
            key = (finding.code, finding.line, finding.layer, finding.message)
            if any((f.code, f.line, f.layer, f.message) == key for f in self.report.findings):
                return
            self.report.findings.append(finding)
        elif not self._merge(finding, fit):
            finding.evidence = {**(finding.evidence or {}), "fits": [fit]}
            self.report.findings.append(finding)
        self.link_causes()

    def _merge(self, finding: Finding, fit: int) -> bool:
        """Merge ``finding`` (of fit ``fit``) into an existing finding of the same cause, if any."""
        per_layer, summaries = self.policy.layer_merged_codes, self.policy.layer_summaries
        for existing in self.report.findings:
            if existing.code != finding.code:
                continue
            fits = existing.fit_indices
            same_place = (existing.line, existing.layer) == (finding.line, finding.layer)
            if same_place and existing.message == finding.message and fit in fits:
                return True  # the very same finding twice for one fit
            covered = finding.code in per_layer and finding.layer is not None \
                and finding.layer in existing.layer_names
            if fits and fit not in fits and (same_place or covered):
                existing.evidence["fits"] = sorted({*fits, fit})  # an earlier fit's cause: keep the first
                return True
        if finding.code in per_layer and finding.layer is not None:
            for existing in self.report.findings:
                if existing.code == finding.code and fit in existing.fit_indices and existing.layer:
                    if finding.layer not in existing.layer_names:
                        _merge_layer(existing, finding, summaries.get(finding.code))
                    return True
        return False

    def link_causes(self, consequences: dict[str, tuple[str, ...]] | None = None) -> None:
        """Set every finding's ``caused_by`` and order ``findings``: causes first, then consequences.

        A finding whose code is a key of ``consequences`` (``policy.consequences``) follows from a finding of one of the listed codes seen in the same fit; the
        first listed code found wins. Within each group the order is by severity, stable.
        """
        table = self.policy.consequences
        cause_of: dict[int, Finding] = {}
        for finding in self.report.findings:
            for code in table.get(finding.code, ()):
                cause = next((c for c in self.report.findings if c is not finding and c.code == code
                              and _same_fit(c, finding)), None)
                if cause is not None:
                    cause_of[id(finding)] = cause
                    break
        for finding in self.report.findings:  # a cycle in the table must not make a loop of findings
            seen, current = {id(finding)}, cause_of.get(id(finding))
            while current is not None:
                if id(current) in seen:
                    cause_of.pop(id(finding), None)
                    break
                seen.add(id(current))
                current = cause_of.get(id(current))
        self.report.findings.sort(key=lambda f: (id(f) in cause_of, SEVERITY_ORDER[f.severity]))  # stable
        position = {id(f): index for index, f in enumerate(self.report.findings)}
        for finding in self.report.findings:
            cause = cause_of.get(id(finding))
            finding.caused_by = position[id(cause)] if cause is not None else None


def _same_fit(a: Finding, b: Finding) -> bool:
    """Seen in a common ``fit`` call (or at least one of them does not say which)."""
    fits_a, fits_b = a.fit_indices, b.fit_indices
    return not fits_a or not fits_b or bool(set(fits_a) & set(fits_b))


def _layer_entry(finding: Finding) -> dict[str, Any]:
    evidence = {k: v for k, v in (finding.evidence or {}).items() if k != "fits"}
    return {"layer": finding.layer, "line": finding.line, "step": finding.step, "message": finding.message,
            **evidence}


def _merge_layer(existing: Finding, finding: Finding, summary: Any = None) -> None:
    """Add ``finding``'s layer to ``existing``: one finding that lists every layer."""
    entries = merged_layers(existing)
    if entries is None:
        entries = [_layer_entry(existing)]
    entries.append(_layer_entry(finding))
    existing.evidence["layers"] = entries
    steps = [e["step"] for e in entries if isinstance(e.get("step"), int)]
    existing.step = min(steps) if steps else existing.step
    text = None
    if summary is not None:
        try:
            text = summary(entries)
        except Exception:  # noqa: BLE001 - a summary must not lose the finding
            text = None
    existing.message = text or _layers_message(entries)


def _layers_message(entries: list[dict[str, Any]]) -> str:
    first = str(entries[0].get("message") or "").rstrip(".")
    return f"{first}; the same in {len(entries) - 1} more layer(s): {listed_layers(entries[1:])}"
