"""The diagnosis record: one display output that outlives the kernel.

``record_bundle(report)`` is a MIME bundle with the report as
``application/vnd.gradmagic.diagnosis+json`` (read by the JupyterLab sidebar), the text
view as ``text/plain`` and a static ``text/html`` rendering (findings plus an inline SVG of
the gradient-flow graph, laid out here in layers because no JavaScript runs in saved
notebooks, on GitHub or in nbconvert). Every user string goes through ``html.escape``.
"""

from __future__ import annotations

import html
from typing import Any

from gradmagic.report.model import Finding, Report
from gradmagic.views.common import CUT_COLOR, STATE_STYLES, frame_rows, jsonable, legend, node_style
from gradmagic.views.text import escaped, render_report

MIME_TYPE = "application/vnd.gradmagic.diagnosis+json"
MAX_STATIC_NODES = 40
NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 156, 30, 18, 34, 12
LEGEND_W = 820
SEVERITY_COLORS = {"error": "#d62728", "warning": "#b8860b", "info": "#1f77b4"}
STATUS_COLORS = {"completed": "#2ca02c", "failed": "#d62728", "interrupted": "#b8860b"}
NONFINITE_CODES = ("GM301", "GM310")  # findings whose layers turned NaN/Inf while training

_STYLE = """<style>
.gm-record{font-family:var(--jp-ui-font-family,system-ui,sans-serif);font-size:13px;line-height:1.4;
  color:var(--jp-ui-font-color1,#1a1a1a);max-width:1100px}
.gm-record .gm-badge{display:inline-block;padding:0 6px;border-radius:3px;color:#fff;font-weight:600;
  font-family:var(--jp-code-font-family,monospace);font-size:12px}
.gm-record .gm-card{border-left:3px solid #999;padding:4px 10px;margin:8px 0;background:rgba(127,127,127,.05)}
.gm-record pre{margin:4px 0;padding:4px 6px;background:rgba(127,127,127,.08);overflow-x:auto;
  font-family:var(--jp-code-font-family,monospace);font-size:12px}
.gm-record .gm-hit{background:rgba(214,39,40,.15);font-weight:600}
.gm-record .gm-add{color:#22863a}.gm-record .gm-del{color:#b31d28}.gm-record .gm-hunk{color:#6f42c1}
.gm-record .gm-muted{color:var(--jp-ui-font-color2,#666)}
.gm-record summary{cursor:pointer}
</style>"""


def _e(value: Any) -> str:
    return html.escape(escaped(str(value)), quote=True)  # control characters as \xNN, like text/plain


def _empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, (list, tuple, dict)) and not value)


def evidence_rows(evidence: dict[str, Any] | None) -> dict[str, Any]:
    """The evidence to show: every measured value, none that is missing or empty (no "op –" rows)."""
    rows: dict[str, Any] = {}
    for key, value in (evidence or {}).items():
        if isinstance(value, list):
            value = [{k: v for k, v in item.items() if not _empty(v)} if isinstance(item, dict) else item
                     for item in value if not _empty(item)]
        elif isinstance(value, dict):
            value = {k: v for k, v in value.items() if not _empty(v)}
        if not _empty(value):
            rows[key] = value
    return jsonable(rows)


def nonfinite_layers(findings: list[Finding] | None) -> dict[str, dict[str, Any]]:
    """Layers that turned NaN/Inf while training (the layers GM301 and GM310 list), with the
    code and first step that say so; the first finding naming a layer wins."""
    marks: dict[str, dict[str, Any]] = {}
    for finding in findings or []:
        if finding.code not in NONFINITE_CODES:
            continue
        listed = (finding.evidence or {}).get("layers")
        names = [entry.get("layer") if isinstance(entry, dict) else entry for entry in listed or []]
        step = (finding.evidence or {}).get("first_step", finding.step)
        for name in [finding.layer, *names]:
            if isinstance(name, str) and name and name not in marks:
                marks[name] = {"code": finding.code, "step": step if isinstance(step, int) else None}
    return marks


def record_bundle(report: Report) -> dict[str, Any]:
    """The MIME bundle to ``display(..., raw=True)`` beside the widget."""
    return {
        MIME_TYPE: jsonable(report.to_dict()),
        "text/plain": render_report(report),
        "text/html": static_html(report),
    }


# -- static HTML ----------------------------------------------------------------------


def static_html(report: Report) -> str:
    parts = [_STYLE, '<div class="gm-record">', _header(report)]
    lines = report.source.splitlines()
    for finding in report.findings:
        parts.append(_finding(finding, lines, report))
    if report.graph:
        parts.append("<details open><summary><b>gradient flow</b> "
                     f'<span class="gm-muted">model {_e(report.graph.get("model", ""))}</span></summary>')
        parts.append(graph_svg(report.graph, nonfinite_layers(report.findings)))
        parts.append("</details>")
    for notice in report.notices:
        parts.append(f'<div class="gm-muted">gradmagic: {_e(notice)}</div>')
    if report.tool_error:
        parts.append(f'<div class="gm-muted">gradmagic: internal error: {_e(report.tool_error)}</div>')
    parts.append("</div>")
    return "".join(parts)


def _header(report: Report) -> str:
    counts = report.counts()
    chips = []
    for fit in report.fits:
        color = STATUS_COLORS.get(fit.status, "#666")
        where = f" line {fit.line}" if fit.line else ""
        chips.append(f'<span class="gm-badge" style="background:{color}">{_e(fit.method)} #{fit.index + 1}'
                     f"{_e(where)}: {_e(fit.status)}</span>")
    summary = (f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} note(s)"
               if report.fits else "no `fit` call ran")
    took = f" · checked in {report.duration_s:.1f} s" if report.duration_s is not None else ""
    return (f"<div><b>gradmagic</b> · {_e(summary)}{_e(took)} {' '.join(chips)}</div>")


def _finding(finding: Finding, lines: list[str], report: Report | None = None) -> str:
    color = SEVERITY_COLORS.get(finding.severity, "#666")
    out = [f'<div class="gm-card" style="border-left-color:{color}">',
           f'<span class="gm-badge" style="background:{color}">{_e(finding.severity)}[{_e(finding.code)}]</span> ',
           f"<b>{_e(finding.message)}</b>"]
    where = [f"line {finding.line}"] if finding.line else []
    if finding.layer:
        where.append(f"layer {finding.layer}")
    if finding.step is not None:
        where.append(f"step {finding.step}")
    if where:
        out.append(f'<div class="gm-muted">--&gt; {_e(" · ".join(where))} ({_e(finding.name)})</div>')
    rows = frame_rows(lines, finding.line)
    if rows:
        width = len(str(rows[-1]["n"]))
        body = "".join(
            f'<span class="gm-hit">{row["n"]:>{width}} | {_e(row["text"])}</span>\n' if row["hit"]
            else f'{row["n"]:>{width}} | {_e(row["text"])}\n'
            for row in rows)
        out.append(f"<pre>{body}</pre>")
    for note in finding.notes:
        out.append(f'<div>= note: {_e(note)}</div>')
    evidence = evidence_rows(finding.evidence)
    if evidence:
        facts = ", ".join(f"{k}={v}" for k, v in evidence.items())
        out.append(f'<div class="gm-muted">= evidence: {_e(facts)}</div>')
    if finding.help:
        out.append(f'<div>= <b style="color:#2ca02c">help</b>: {_e(finding.help)}</div>')
    if report is not None and finding.caused_by is not None and 0 <= finding.caused_by < len(report.findings):
        cause = report.findings[finding.caused_by]
        out.append(f'<div class="gm-muted">= follows from {_e(cause.code)} ({_e(cause.name)})</div>')
    for fix in (report.fixes_to_show(finding) if report is not None else finding.fixes):
        out.append(f"<details><summary>fix [{_e(fix.safety)}]: {_e(fix.title)}</summary>"
                   f"<div class=\"gm-muted\">{_e(fix.reason)}</div><pre>{diff_html(fix.diff)}</pre></details>")
    out.append("</div>")
    return "".join(out)


def diff_html(diff: str) -> str:
    rows = []
    for line in diff.splitlines():
        kind = ("gm-hunk" if line.startswith("@@") else "" if line.startswith(("+++", "---"))
                else "gm-add" if line.startswith("+") else "gm-del" if line.startswith("-") else "")
        rows.append((f'<span class="{kind}">{_e(line)}</span>' if kind else _e(line)) + "\n")
    return "".join(rows)


# -- static graph: groups collapsed until it fits, then a layered layout ------------------


def collapsed_view(graph: dict[str, Any], limit: int = MAX_STATIC_NODES) -> tuple[list[dict], list[dict]]:
    """Visible items (layers or collapsed groups) and edges between them, at most ``limit`` items if possible."""
    groups = {g["id"]: g for g in graph.get("groups", [])}
    parent = {gid: g["parent"] for gid, g in groups.items()}
    collapsed: set[str] = set()
    for kinds in (("block", "range"), ("stage",), ("model",)):
        if _count_visible(graph, parent, collapsed) <= limit:
            break
        collapsed |= {gid for gid, g in groups.items() if g["kind"] in kinds}

    def representative(node: dict) -> str:
        chain, group = [], node.get("group")
        while group is not None:
            chain.append(group)
            group = parent.get(group)
        outer = [g for g in chain if g in collapsed]
        return outer[-1] if outer else node["id"]

    rep = {n["id"]: representative(n) for n in graph["nodes"]}
    items: dict[str, dict] = {}
    for node in graph["nodes"]:
        key = rep[node["id"]]
        if key not in items:
            items[key] = {**groups[key], "is_group": True} if key in groups else dict(node)
    edges: dict[tuple[str, str], dict] = {}
    for edge in graph["edges"]:
        source, target = rep[edge["source"]], rep[edge["target"]]
        if source == target and edge.get("cut"):
            items[source].setdefault("cut", edge["cut"])  # a cut inside a collapsed group marks the group
        elif source != target:
            entry = edges.setdefault((source, target), {"source": source, "target": target})
            if edge.get("cut"):
                entry["cut"] = edge["cut"]
    return list(items.values()), list(edges.values())


def _count_visible(graph: dict, parent: dict, collapsed: set[str]) -> int:
    seen = set()
    for node in graph["nodes"]:
        group, outer = node.get("group"), None
        while group is not None:
            if group in collapsed:
                outer = group
            group = parent.get(group)
        seen.add(outer or node["id"])
    return len(seen)


def layered_layout(items: list[dict], edges: list[dict]) -> dict[str, tuple[int, int]]:
    """Rank = longest path from a source; order inside a rank by the mean position of predecessors."""
    ids = [item["id"] for item in items]
    preds: dict[str, list[str]] = {i: [] for i in ids}
    succs: dict[str, list[str]] = {i: [] for i in ids}
    for edge in edges:
        preds[edge["target"]].append(edge["source"])
        succs[edge["source"]].append(edge["target"])
    indegree = {i: len(preds[i]) for i in ids}
    queue = [i for i in ids if indegree[i] == 0]
    rank = {i: 0 for i in ids}
    done = 0
    while queue:
        current = queue.pop(0)
        done += 1
        for nxt in succs[current]:
            rank[nxt] = max(rank[nxt], rank[current] + 1)
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                queue.append(nxt)
    rows: dict[int, list[str]] = {}
    for i in ids:
        rows.setdefault(rank[i], []).append(i)
    position: dict[str, tuple[int, int]] = {}
    for r in sorted(rows):
        row = rows[r]
        order = {i: n for n, i in enumerate(row)}

        def barycenter(i: str) -> float:
            placed = [position[p][0] for p in preds[i] if p in position]
            return sum(placed) / len(placed) if placed else order[i]

        row.sort(key=barycenter)
        for column, i in enumerate(row):
            position[i] = (column, r)
    return position


def _label(item: dict) -> str:
    text = item.get("label") or item["id"]
    if item.get("is_group"):
        text = f"▸ {text} ({item.get('size', 0)})"
    return text if len(text) <= 22 else text[:21] + "…"


def _tooltip(item: dict) -> str:
    parts = [item.get("label") or item["id"], f"state: {item.get('state')}"]
    if not item.get("is_group"):
        parts.insert(1, item.get("class", ""))
    for key in ("norm", "mean", "max"):
        if item.get(key) is not None:
            parts.append(f"{'|g| ' + key if key != 'norm' else '‖g‖'}: {item[key]}")
    if item.get("line"):
        parts.append(f"line {item['line']}")
    return "\n".join(str(p) for p in parts)


def graph_svg(graph: dict[str, Any], nonfinite: dict[str, dict[str, Any]] | None = None) -> str:
    """The flow graph as static SVG; the layers in ``nonfinite`` (``nonfinite_layers``) drawn as NaN/Inf."""
    nonfinite = nonfinite or {}
    items, edges = collapsed_view(graph)
    position = layered_layout(items, edges)
    columns = max((c for c, _ in position.values()), default=0) + 1
    rows = max((r for _, r in position.values()), default=0) + 1
    width = max(PAD * 2 + columns * (NODE_W + GAP_X), LEGEND_W)
    height = PAD * 2 + rows * (NODE_H + GAP_Y) + 40

    def center(i: str) -> tuple[float, float]:
        c, r = position[i]
        return PAD + c * (NODE_W + GAP_X) + NODE_W / 2, PAD + r * (NODE_H + GAP_Y) + NODE_H / 2

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11" role="img">']
    for edge in edges:
        (x1, y1), (x2, y2) = center(edge["source"]), center(edge["target"])
        y1, y2 = y1 + NODE_H / 2, y2 - NODE_H / 2
        cut = edge.get("cut")
        color = CUT_COLOR if cut else "#888888"
        dash = ' stroke-dasharray="5 3"' if cut else ""
        out.append(f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" stroke="{color}" '
                   f'stroke-width="{2.5 if cut else 1.2}"{dash}/>')
        if cut:
            text = f"✂ {cut.get('op')}" + (f" · line {cut['line']}" if cut.get("line") else "")
            out.append(f'<text x="{(x1 + x2) / 2 + 6:.0f}" y="{(y1 + y2) / 2 + 4:.0f}" fill="{CUT_COLOR}" '
                       f'font-weight="bold">{_e(text)}</text>')
    for item in items:
        x, y = center(item["id"])
        style = node_style(item, graph.get("range"))
        mark = _mark(item, graph, nonfinite)
        if mark:
            style = {**style, "fill": STATE_STYLES["nan"]["fill"], "stroke": STATE_STYLES["nan"]["stroke"],
                     "dash": "", "text": "#ffffff"}
            step = f" @ step {mark['step']}" if mark.get("step") is not None else ""
            out.append(f'<text x="{x + NODE_W / 2:.0f}" y="{y - NODE_H / 2 - 3:.0f}" text-anchor="end" '
                       f'fill="{STATE_STYLES["nan"]["stroke"]}" font-weight="bold">{_e("NaN/Inf" + step)}</text>')
        dash = f' stroke-dasharray="{style["dash"]}"' if style["dash"] else ""
        cut = item.get("cut")
        stroke = CUT_COLOR if cut else style["stroke"]
        if cut:
            text = f"✂ {cut.get('op')}" + (f" · line {cut['line']}" if cut.get("line") else "")
            out.append(f'<text x="{x - NODE_W / 2:.0f}" y="{y - NODE_H / 2 - 3:.0f}" fill="{CUT_COLOR}" '
                       f'font-weight="bold">{_e(text)}</text>')
        out.append(f'<g><title>{_e(_tooltip(item))}</title>'
                   f'<rect x="{x - NODE_W / 2:.0f}" y="{y - NODE_H / 2:.0f}" width="{NODE_W}" height="{NODE_H}" '
                   f'rx="4" fill="{style["fill"]}" stroke="{stroke}" stroke-width="1.5"{dash}/>'
                   f'<text x="{x:.0f}" y="{y + 4:.0f}" text-anchor="middle" fill="{style["text"]}">'
                   f"{_e(_label(item))}</text></g>")
    out.append(_legend_svg(graph, height - 30, bool(nonfinite.keys() & {n['id'] for n in graph['nodes']})))
    out.append("</svg>")
    return "".join(out)


def _mark(item: dict[str, Any], graph: dict[str, Any], nonfinite: dict[str, dict[str, Any]]) -> dict | None:
    """The NaN/Inf mark of a layer, or of a collapsed group holding a marked layer."""
    if not item.get("is_group"):
        return nonfinite.get(item["id"])
    parent = {g["id"]: g.get("parent") for g in graph.get("groups", [])}
    for node in graph["nodes"]:
        group = node.get("group")
        while group is not None and node["id"] in nonfinite:
            if group == item["id"]:
                return nonfinite[node["id"]]
            group = parent.get(group)
    return None


def _legend_svg(graph: dict[str, Any], y: float, nonfinite: bool = False) -> str:
    info = legend(graph)
    if nonfinite and not any(entry["state"] == "nan" for entry in info["states"]):
        info["states"].append({"state": "nan", "label": "NaN / Inf while training"})
    parts, x = [], PAD
    if info["scale"]:
        stops = info["scale"]["stops"]
        for n, color in enumerate(stops):
            parts.append(f'<rect x="{x + n * 10}" y="{y}" width="10" height="12" fill="{color}"/>')
        label = f'‖g‖ {info["scale"]["min"]:.3g} … {info["scale"]["max"]:.3g} (log)'
        parts.append(f'<text x="{x + len(stops) * 10 + 4}" y="{y + 10}">{_e(label)}</text>')
        x += len(stops) * 10 + 160
    for entry in info["states"]:
        style = STATE_STYLES[entry["state"]]
        dash = f' stroke-dasharray="{style["dash"]}"' if style["dash"] else ""
        parts.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{style["fill"]}" '
                     f'stroke="{style["stroke"]}"{dash}/><text x="{x + 16}" y="{y + 10}">{_e(entry["label"])}</text>')
        x += 22 + 6 * len(entry["label"])
    return "".join(parts)
