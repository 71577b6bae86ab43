"""The diagnosis panel: an anywidget whose ESM (``static/panel.bundle.mjs``) ships in the package.

Python formats the Report into plain payloads (header, finding cards with code frames,
fix cards, the coloured flow graph, training series); the browser only draws them. The
payloads' shapes are the TypeScript types of ``labextension/src/panel/types.ts``; the panel's
sources are the TypeScript modules of ``labextension/src/panel/``, type-checked by ``tsc`` and
bundled (with the vendored dagre layout and ``marked``'s Markdown lexer) into
``static/panel.bundle.mjs`` by ``jlpm build:panel``, which ``jlpm build`` and ``./dev.sh setup``
run.

Patch protocol (the labextension implements the other side): a fix card dispatches on
its own root element ``CustomEvent("gradmagic:patch", {bubbles: true, composed: true,
detail: {requestId, action: "apply" | "apply-run" | "undo", cellId, expectedSource,
newSource}})`` and listens there for ``CustomEvent("gradmagic:patch-result", {detail:
{requestId, ok, reason?}})``. The labextension marks itself present with
``document.body.dataset.gradmagic = "ready"``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from gradmagic.report.model import Finding, Fix, Report
from gradmagic.views.common import STATE_STYLES, frame_rows, jsonable, legend, node_style
from gradmagic.views.record import evidence_rows, nonfinite_layers

STATIC = Path(__file__).parent / "static"
BUNDLE = STATIC / "panel.bundle.mjs"
EPOCH_POINTS = 512  # at most this many epochs of Keras's logs go to the training view
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
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity,
        "message": finding.message,
        "line": finding.line,
        "layer": finding.layer,
        "step": finding.step,
        "evidence": evidence_rows(finding.evidence),
        "notes": list(finding.notes),
        "help": finding.help,
        "frame": frame_rows(lines, finding.line),
        "label": finding.label,
        "doc": report.docs.get(finding.code, ""),  # the report carries each code's documentation
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


def graph_payload(graph: dict[str, Any] | None, findings: list[Finding] | None = None) -> dict[str, Any]:
    """The flow graph with each node's and group's colours and the legend added.

    A layer that turned NaN/Inf while training (``nonfinite_layers``) gets ``nonfinite``
    (``{"code", "step"}``) and the NaN colours, and so does every group holding one: the norms
    in the graph come from the probe batch before training, which was finite.
    """
    if not graph:
        return {}
    value_range = graph.get("range")
    marks = nonfinite_layers(findings)
    parents = {g["id"]: g.get("parent") for g in graph.get("groups", [])}
    group_marks: dict[str, dict[str, Any]] = {}
    for node in graph["nodes"]:
        mark = marks.get(node["id"])
        group = node.get("group")
        while mark and group is not None and group not in group_marks:
            group_marks[group] = mark
            group = parents.get(group)

    def styled(item: dict[str, Any], mark: dict[str, Any] | None) -> dict[str, Any]:
        style = node_style(item, value_range)
        if not mark:
            return {**item, "style": style}
        nan = STATE_STYLES["nan"]
        return {**item, "nonfinite": mark,
                "style": {**style, "fill": nan["fill"], "stroke": nan["stroke"], "dash": "", "text": "#ffffff"}}

    payload = dict(graph)
    payload["nodes"] = [styled(node, marks.get(node["id"])) for node in graph["nodes"]]
    payload["groups"] = [styled(group, group_marks.get(group["id"])) for group in graph.get("groups", [])]
    payload["legend"] = legend(graph)
    if (marks.keys() & {n["id"] for n in graph["nodes"]}) and not any(
            entry["state"] == "nan" for entry in payload["legend"]["states"]):
        payload["legend"]["states"].append({"state": "nan", **STATE_STYLES["nan"],
                                            "label": "NaN / Inf while training"})
    return jsonable(payload)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _nonfinite(value: Any) -> bool:
    """NaN/Inf, as a float or as strict JSON writes it ("NaN", "Infinity", "-Infinity"; "nan", "inf")."""
    if isinstance(value, float):
        return not math.isfinite(value)
    return isinstance(value, str) and value.strip().lower().lstrip("+-") in ("nan", "inf", "infinity")


def _numbers(values: Any) -> list[float | None]:
    """Plain numbers; anything else (NaN written as a string, a missing point) becomes None."""
    return [float(v) if _finite(v) else None for v in values or []]


def _line(steps: Any, values: Any, nonfinite: Any = None, first: Any = None) -> dict[str, Any] | None:
    """``{"steps", "values", "nonfinite", "first_nonfinite"}``: ``values`` holds finite numbers or
    None; ``nonfinite`` lists the steps where the series was NaN/Inf (drawn as marks, not as
    points), ``first_nonfinite`` the exact first such step (or None)."""
    if not isinstance(steps, list) or not isinstance(values, list) or not steps:
        return None
    steps = [int(s) for s in steps]
    counts = nonfinite if isinstance(nonfinite, list) else []
    marked = [step for i, step in enumerate(steps)
              if (i < len(counts) and isinstance(counts[i], int) and counts[i] > 0)
              or (i < len(values) and _nonfinite(values[i]))]
    return {"steps": steps, "values": _numbers(values)[:len(steps)], "nonfinite": marked,
            "first_nonfinite": first if isinstance(first, int) else (marked[0] if marked else None)}


def _thin(items: list[Any], limit: int) -> list[Any]:
    """At most ``limit`` items, evenly spaced, the first and the last kept."""
    if len(items) <= limit:
        return items
    stride = (len(items) - 1) / (limit - 1)
    return [items[round(i * stride)] for i in range(limit)]


def epoch_payload(epoch_logs: Any) -> dict[str, Any] | None:
    """Keras's epoch logs (loss, ``val_loss``, compiled metrics) as lines over the epoch-end steps."""
    entries = [e for e in epoch_logs or [] if isinstance(e, dict) and isinstance(e.get("step"), int)
               and isinstance(e.get("values"), dict) and e["values"]]
    if not entries:
        return None
    entries = _thin(entries, EPOCH_POINTS)
    names: list[str] = []
    for entry in entries:
        names += [str(name) for name in entry["values"] if name not in names]
    steps = [entry["step"] for entry in entries]
    series = {}
    for name in names:
        values = [entry["values"].get(name) for entry in entries]
        series[name] = _line(steps, values)
    return {"steps": steps, "series": series}


def training_payload(history: dict[str, Any] | None, findings: list[Finding] | None = None) -> dict[str, Any]:
    """Loss, gradient norms and Keras's epoch logs over steps, for the training view.

    Reads the recorder's ``Report.history`` (``{"fits": [{"series": {"loss": {"steps",
    "mean", "nonfinite", ...}, "grad_norm/<layer>": ...}, "layers": [...], "epoch_ends": [...],
    "epoch_logs": [{"step", "values": {"loss", "val_loss", ...}}], "first_nonfinite": {...}}]}``;
    the last fit is shown) or the points gathered live (``{"steps", "loss", "grad_norm"}``).
    """
    markers = [{"step": f.step, "code": f.code, "severity": f.severity}
               for f in findings or [] if f.step is not None]
    payload: dict[str, Any] = {"loss": None, "total": None, "layers": {}, "markers": markers, "epoch_ends": [],
                               "epochs": None}
    if not history:
        return payload
    if isinstance(history.get("fits"), list):
        if not history["fits"]:
            return payload
        history = history["fits"][-1]
    series = history.get("series")
    if isinstance(series, dict):
        shared_steps = history.get("bucket_steps")
        first = history.get("first_nonfinite") if isinstance(history.get("first_nonfinite"), dict) else {}

        def line(name: str) -> dict[str, Any] | None:
            data = series.get(name)
            if not isinstance(data, dict):
                return None
            return _line(data.get("steps") or shared_steps, data.get("mean"), data.get("nonfinite"), first.get(name))

        payload["loss"] = line("loss")
        payload["total"] = line("grad_norm")
        order = [str(name) for name in history.get("layers") or []]
        names = order + sorted(n.split("/", 1)[1] for n in series
                               if n.startswith("grad_norm/") and n.split("/", 1)[1] not in order)
        payload["layers"] = {name: found for name in names if (found := line(f"grad_norm/{name}"))}
        payload["epoch_ends"] = [int(s) for s in history.get("epoch_ends") or [] if isinstance(s, int)]
        payload["epochs"] = epoch_payload(history.get("epoch_logs"))
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
        "graph": graph_payload(report.graph, report.findings),
        "training": training_payload(report.history, report.findings),
    }


def saved_panel(report: Report, cell: CellText) -> dict[str, Any]:
    """The display metadata of the record: the panel's payloads, saved with the notebook.

    ``{"application/vnd.gradmagic.diagnosis+json": {"panel": {"header", "findings", "graph",
    "training"}}}``. A saved notebook has lost the widget's state (JupyterLab shows "model not
    found" in its place); the labextension's record renderer (``labextension/src/mime.ts``)
    then draws the full panel from these payloads.
    """
    from gradmagic.views.record import MIME_TYPE

    return {MIME_TYPE: {"panel": jsonable(panel_payloads(report, cell))}}


# -- the widget --------------------------------------------------------------------------


@lru_cache(maxsize=1)
def panel_esm() -> str:
    """The panel's ES module: ``static/panel.bundle.mjs``, built from ``labextension/src/panel``."""
    try:
        return BUNDLE.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RuntimeError(f"the diagnosis panel's JavaScript ({BUNDLE}) is not built: run `jlpm build` "
                           "(or `./dev.sh setup`) in the gradmagic checkout") from None


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
        ``{"kind": "training_points", "fit", "start", "steps", "loss", "grad_norm", "nonfinite",
        "markers"}``; the frontend keeps its first ``start`` points of that fit and appends these
        (``start`` 0: these are all the points). A NaN/Inf value travels as None, and its step in
        ``nonfinite`` (``{"loss": [steps], "grad_norm": [steps]}``), which the charts mark while
        the fit runs. The ``training`` state is left as it is; setting it (at the end of a fit)
        replaces the live points."""
        steps = [int(step) for step in points.get("steps") or []]
        start = max(0, min(start, len(steps)))
        sent: dict[str, list] = {name: (points.get(name) or [])[start:len(steps)] for name in ("loss", "grad_norm")}
        self.send({
            "kind": "training_points",
            "fit": fit,
            "start": start,
            "steps": steps[start:],
            **{name: _numbers(values) for name, values in sent.items()},
            "nonfinite": {name: [step for step, value in zip(steps[start:], values) if _nonfinite(value)]
                          for name, values in sent.items()},
            "markers": training_payload(None, findings)["markers"],
        })
