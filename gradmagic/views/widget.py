"""The diagnosis panel: an anywidget whose ESM (``static/panel.js``) ships in the package.

Python formats the Report into plain payloads (header, finding cards with code frames,
fix cards, the coloured flow graph, training series); the browser only draws them.

Patch protocol (the labextension implements the other side): a fix card dispatches on
its own root element ``CustomEvent("gradmagic:patch", {bubbles: true, composed: true,
detail: {requestId, action: "apply" | "apply-run" | "undo", cellId, expectedSource,
newSource}})`` and listens there for ``CustomEvent("gradmagic:patch-result", {detail:
{requestId, ok, reason?}})``. The labextension marks itself present with
``document.body.dataset.gradmagic = "ready"``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from gradmagic.report.model import Finding, Fix, Report
from gradmagic.rules.registry import RULES
from gradmagic.views.common import frame_rows, jsonable, legend, node_style

STATIC = Path(__file__).parent / "static"
DAGRE_IMPORT = 'import dagre from "./dagre.esm.js";'
NO_CELL_ID = ("this frontend did not say which cell ran (no cell id: VS Code, Colab, nbclient or "
              "plain IPython), so the cell cannot be rewritten safely; use Copy")
CELL_MISMATCH = "the cell text could not be matched to the checked source; use Copy"


@dataclass
class CellText:
    """The notebook cell a report was made from, and how report lines map onto it.

    The checked source is the cell body with ``placeholders`` blank lines in front, one per
    line the cell has before the body (the ``%%gradcheck`` line), so report lines are cell
    lines. ``header`` is that text as it stands in the cell.
    """

    cell_id: str | None
    text: str | None = None
    header: str = ""
    placeholders: int = 0
    verified: bool = True

    def to_cell(self, source: str) -> str:
        """The whole cell text for a version of the checked source (the original or a fix)."""
        lines = source.splitlines(keepends=True)
        removed, kept = 0, []
        for line in lines:
            if removed < self.placeholders and line.strip() == "":
                removed += 1
                continue
            kept.append(line)
        body = "".join(kept)
        if self.text is not None and not self.text.endswith("\n") and body.endswith("\n"):
            body = body[:-1]
        return self.header + body

    def patch_reason(self, source: str) -> str | None:
        """Why Apply must stay disabled for this cell, or None."""
        if not self.cell_id:
            return NO_CELL_ID
        if self.text is None or not self.verified or self.to_cell(source) != self.text:
            return CELL_MISMATCH
        return None


# -- payloads ---------------------------------------------------------------------------


def fix_card(fix: Fix, report: Report, cell: CellText) -> dict[str, Any]:
    disabled = cell.patch_reason(report.source)
    return {
        "id": fix.id,
        "title": fix.title,
        "reason": fix.reason,
        "safety": fix.safety,
        "diff": fix.diff,
        "cell_id": cell.cell_id,
        "expected_source": cell.to_cell(report.source),
        "new_source": cell.to_cell(fix.patched_source),
        "apply_disabled": disabled,
    }


def finding_card(finding: Finding, report: Report, cell: CellText, lines: list[str]) -> dict[str, Any]:
    rule = RULES.get(finding.code)
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity,
        "message": finding.message,
        "line": finding.line,
        "layer": finding.layer,
        "step": finding.step,
        "evidence": jsonable(finding.evidence),
        "notes": list(finding.notes),
        "help": finding.help,
        "frame": frame_rows(lines, finding.line),
        "doc": (rule.doc or "").strip() if rule else "",
        "caused_by": finding.caused_by,
        "fixes": [fix_card(fix, report, cell) for fix in report.fixes_to_show(finding)],  # each fix once
    }


def header_payload(report: Report, running: bool = False) -> dict[str, Any]:
    return {
        "running": running,
        "fits": [jsonable(vars(fit)) for fit in report.fits],
        "counts": report.counts(),
        "duration_s": report.duration_s,
        "notices": list(report.notices),
        "tool_error": report.tool_error,
        "cell_id": report.cell_id,
    }


def graph_payload(graph: dict[str, Any] | None) -> dict[str, Any]:
    """The flow graph with each node's and group's colours and the legend added."""
    if not graph:
        return {}
    value_range = graph.get("range")
    payload = dict(graph)
    payload["nodes"] = [{**node, "style": node_style(node, value_range)} for node in graph["nodes"]]
    payload["groups"] = [{**group, "style": node_style(group, value_range)} for group in graph.get("groups", [])]
    payload["legend"] = legend(graph)
    return jsonable(payload)


def _numbers(values: Any) -> list[float | None]:
    """Plain numbers; anything else (NaN written as a string, a missing point) becomes None."""
    return [float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None
            for v in values or []]


def _line(steps: Any, values: Any) -> dict[str, list] | None:
    if not isinstance(steps, list) or not isinstance(values, list) or not steps:
        return None
    return {"steps": [int(s) for s in steps], "values": _numbers(values)[:len(steps)]}


def training_payload(history: dict[str, Any] | None, findings: list[Finding] | None = None) -> dict[str, Any]:
    """Loss and gradient norms over steps, for the training view.

    Reads the recorder's ``Report.history`` (``{"fits": [{"series": {"loss": {"steps",
    "mean", ...}, "grad_norm/<layer>": ...}, "layers": [...], "epoch_ends": [...]}]}``; the
    last fit is shown) or the points gathered live (``{"steps", "loss", "grad_norm"}``).
    """
    markers = [{"step": f.step, "code": f.code, "severity": f.severity}
               for f in findings or [] if f.step is not None]
    payload: dict[str, Any] = {"loss": None, "total": None, "layers": {}, "markers": markers, "epoch_ends": []}
    if not history:
        return payload
    if isinstance(history.get("fits"), list):
        if not history["fits"]:
            return payload
        history = history["fits"][-1]
    series = history.get("series")
    if isinstance(series, dict):
        shared_steps = history.get("bucket_steps")

        def line(name: str) -> dict[str, list] | None:
            data = series.get(name)
            if not isinstance(data, dict):
                return None
            return _line(data.get("steps") or shared_steps, data.get("mean"))

        payload["loss"] = line("loss")
        payload["total"] = line("grad_norm")
        order = [str(name) for name in history.get("layers") or []]
        names = order + sorted(n.split("/", 1)[1] for n in series
                               if n.startswith("grad_norm/") and n.split("/", 1)[1] not in order)
        payload["layers"] = {name: found for name in names if (found := line(f"grad_norm/{name}"))}
        payload["epoch_ends"] = [int(s) for s in history.get("epoch_ends") or [] if isinstance(s, int)]
    else:
        steps = history.get("steps")
        payload["loss"] = _line(steps, history.get("loss"))
        payload["total"] = _line(steps, history.get("grad_norm"))
    return payload


def panel_payloads(report: Report, cell: CellText, running: bool = False) -> dict[str, Any]:
    lines = cell.text.splitlines() if cell.text is not None and cell.to_cell(report.source) == cell.text \
        else report.source.splitlines()
    return {
        "header": header_payload(report, running),
        "findings": [finding_card(f, report, cell, lines) for f in report.findings],
        "graph": graph_payload(report.graph),
        "training": training_payload(report.history, report.findings),
    }


# -- the widget --------------------------------------------------------------------------


@lru_cache(maxsize=1)
def panel_esm() -> str:
    """``panel.js`` with the vendored dagre module inlined (loaded from a Blob URL on first use)."""
    panel = (STATIC / "panel.js").read_text(encoding="utf-8")
    dagre = (STATIC / "dagre.esm.js").read_text(encoding="utf-8")
    loader = ("let dagre = null;\nconst DAGRE_SOURCE = " + json.dumps(dagre) + ";\n"
              "async function loadDagre() {\n  if (!dagre) {\n"
              "    const url = URL.createObjectURL(new Blob([DAGRE_SOURCE], { type: \"text/javascript\" }));\n"
              "    try { dagre = (await import(url)).default; } finally { URL.revokeObjectURL(url); }\n"
              "  }\n  return dagre;\n}")
    assert DAGRE_IMPORT in panel, "panel.js must import dagre with the marker line"
    return panel.replace(DAGRE_IMPORT + "\nconst loadDagre = async () => dagre;", loader)


class DiagnosisPanel(anywidget.AnyWidget):
    """The notebook panel: header, finding cards with fixes, gradient-flow graph, training."""

    _esm = traitlets.Unicode().tag(sync=True)
    _css = (STATIC / "panel.css").read_text(encoding="utf-8")

    header = traitlets.Dict().tag(sync=True)
    findings = traitlets.List().tag(sync=True)
    graph = traitlets.Dict().tag(sync=True)
    training = traitlets.Dict().tag(sync=True)
    applied = traitlets.Dict().tag(sync=True)

    def __init__(self, report: Report | None = None, cell: CellText | None = None, **kwargs: Any) -> None:
        cell = cell or CellText(cell_id=None)
        # the payloads go into the constructor so the frontend gets them with the comm_open
        payloads = panel_payloads(report, cell) if report is not None else {}
        super().__init__(_esm=panel_esm(), **payloads, **kwargs)
        self.cell = cell

    def show(self, report: Report, running: bool = False) -> None:
        """Render ``report`` (also while its fits still run)."""
        payloads = panel_payloads(report, self.cell, running)
        with self.hold_sync():
            for name, value in payloads.items():
                setattr(self, name, value)

    def show_training(self, history: dict[str, Any], findings: list[Finding] | None = None) -> None:
        self.training = training_payload(history, findings)

    def send_points(self, fit: Any, points: dict[str, list], start: int,
                    findings: list[Finding] | None = None) -> None:
        """Live points while a fit runs, as a custom message with only what the frontend lacks:
        ``{"kind": "training_points", "fit", "start", "steps", "loss", "grad_norm", "markers"}``;
        the frontend keeps its first ``start`` points of that fit and appends these (``start``
        0: these are all the points). The ``training`` state is left as it is; setting it (at
        the end of a fit) replaces the live points."""
        steps = points.get("steps") or []
        start = max(0, min(start, len(steps)))
        self.send({
            "kind": "training_points",
            "fit": fit,
            "start": start,
            "steps": [int(step) for step in steps[start:]],
            "loss": _numbers((points.get("loss") or [])[start:len(steps)]),
            "grad_norm": _numbers((points.get("grad_norm") or [])[start:len(steps)]),
            "markers": training_payload(None, findings)["markers"],
        })
