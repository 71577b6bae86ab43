"""The gradient-flow graph of one ``fit`` call: layers, edges, gradient states and the cuts.

Plain data for ``Report.graph`` (JSON-ready); the views colour and lay it out. Built from
the evidence: the model description (layers, inbound edges, nesting), the probe's
per-variable gradients (state, norm, mean and max |g|) and its gradient cuts (op + line).

Layer states: ``ok`` (gradient measured), ``zero`` (gradient exactly 0), ``none`` (no
gradient reaches it), ``partial`` (some of its variables get none), ``nan`` (NaN/Inf in the
gradient), ``connected`` (traced as connected, not measured), ``frozen`` (weights not
trainable), ``passive`` (no weights), ``unknown`` (no probe ran).
"""

from __future__ import annotations

import math
import re
from typing import Any, Iterable

import numpy as np

from gradmagic.evidence.fit_evidence import FitEvidence
from gradmagic.evidence.facts.model import LayerInfo
from gradmagic.report.model import Finding, Report

LOSS_NODE = "__loss__"
PROBLEM_STATES = ("nan", "none", "partial")
MAX_DIRECT_CHILDREN = 150
RANGE_SIZE = 25
_BLOCK = re.compile(r"^(?P<block>(?P<stage>.*?)_?block_?\d+[a-z]?)(?:_|$)", re.IGNORECASE)


def _round(value: float | None) -> float | str | None:
    """Four significant digits; NaN/Inf as strings so the record stays valid JSON."""
    if value is None:
        return None
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return float(f"{value:.4g}")


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _layer_stats(fit: FitEvidence) -> dict[str, dict[str, Any]]:
    """Per layer: its trainable variables' gradients combined (norm, mean |g|, max |g|)."""
    info = fit.model_info
    probe = fit.probe
    gradients = {g.path: g for g in probe.gradients} if probe else {}
    stats: dict[str, dict[str, Any]] = {}
    for variable in info.variables:
        if variable.layer is None:
            continue
        entry = stats.setdefault(variable.layer, {"vars": 0, "frozen_vars": 0, "states": [], "sq": 0.0,
                                                  "abs_sum": 0.0, "size": 0, "max": None, "nan": False})
        if not variable.trainable:
            entry["frozen_vars"] += 1
            continue
        entry["vars"] += 1
        grad = gradients.get(variable.path)
        if grad is None:
            entry["states"].append("unknown" if probe is None else "connected")
            continue
        entry["states"].append(grad.state)
        if grad.norm is None:
            continue
        if not math.isfinite(grad.norm) or (grad.max_abs is not None and not math.isfinite(grad.max_abs)):
            entry["nan"] = True
            continue
        size = math.prod(variable.shape) if variable.shape else 1
        entry["sq"] += grad.norm ** 2
        entry["size"] += size
        if grad.mean_abs is not None:
            entry["abs_sum"] += grad.mean_abs * size
        if grad.max_abs is not None:
            entry["max"] = max(entry["max"] or 0.0, grad.max_abs)
    _fill_from_recording(stats, fit.recording)
    return stats


def _fill_from_recording(stats: dict[str, dict[str, Any]], recording: Any) -> None:
    """Layers no probe measured (a healthy fit runs none): their gradient at the first recorded step."""
    if recording is None:
        return
    for layer, entry in stats.items():
        if not entry["states"] or any(state != "unknown" for state in entry["states"]):
            continue
        norms = recording.series("grad_norm", layer)
        if layer not in recording.layers or not len(norms["count"]) or not (norms["count"] > 0).any():
            continue
        first = int(np.argmax(norms["count"] > 0))
        norm = float(norms["mean"][first])
        largest = float(recording.series("grad_max", layer)["mean"][first])
        if not math.isfinite(norm):
            entry["nan"] = True
            continue
        entry["states"] = ["zero" if norm == 0 else "ok"] * len(entry["states"])
        entry["sq"], entry["size"], entry["abs_sum"] = norm ** 2, entry["size"] or 1, None  # no mean |g| recorded
        entry["max"] = largest if math.isfinite(largest) else None


def _first_loss(recording: Any) -> float | None:
    """The loss of the first recorded step, when no probe measured one."""
    if recording is None or not recording.loss_known:
        return None
    losses = recording.series("loss")
    measured = np.flatnonzero(losses["count"] > 0)
    if not measured.size or not math.isfinite(float(losses["mean"][measured[0]])):
        return None
    return _round(float(losses["mean"][measured[0]]))


def _state(layer: LayerInfo, entry: dict[str, Any] | None) -> str:
    if entry is None or (entry["vars"] == 0 and entry["frozen_vars"] == 0):
        return "passive"
    if entry["vars"] == 0:
        return "frozen"
    states = entry["states"]
    if entry["nan"]:
        return "nan"
    if all(s == "none" for s in states):
        return "none"
    if "none" in states:
        return "partial"
    if all(s == "zero" for s in states):
        return "zero"
    if "ok" in states or "zero" in states:
        return "ok"
    return "unknown" if "unknown" in states else "connected"



def needs_traced_order(layers: list[LayerInfo]) -> bool:
    """Some model among ``layers`` (a subclassed one) holds several layers with no recorded edge between
    them: only the traced call says in which order it calls them."""
    return bool(_Structure(layers).unlinked_groups())


class _Structure:
    """Leaf layers, nesting groups and edges between leaves (nested models opened up).

    ``call_order`` (layer and sub-model names in the order the traced step computed them) orders the
    members of a subclassed model, which records no edges: without it they follow creation order."""

    def __init__(self, layers: list[LayerInfo], call_order: list[str] | None = None) -> None:
        self.layers = {layer.name: layer for layer in layers}
        self.order = [layer.name for layer in layers]
        self.parent: dict[str, str | None] = {layer.name: layer.parent for layer in layers}
        self._adopt_nested_inputs()
        self.children: dict[str | None, list[str]] = {}
        for name in self.order:
            self.children.setdefault(self.parent[name], []).append(name)
        self.containers = {name for name in self.order if name in self.children}
        self.rank = {name: position for position, name in enumerate(call_order or [])}
        self.raw = self._raw_edges()

    def _adopt_nested_inputs(self) -> None:
        """A nested model's own InputLayer is listed at the top; move it into that model."""
        consumers: dict[str, set[str | None]] = {}
        for layer in self.layers.values():
            for source in layer.inbound:
                consumers.setdefault(source, set()).add(self.parent.get(layer.name))
        for name, layer in self.layers.items():
            owners = consumers.get(name, set())
            if layer.class_name == "InputLayer" and self.parent[name] is None and len(owners) == 1:
                owner = next(iter(owners))
                if owner is not None:
                    self.parent[name] = owner

    def _recorded_edges(self) -> list[tuple[str, str, bool]]:
        return [(source, layer.name, False) for layer in self.layers.values()
                for source in layer.inbound if source in self.layers]

    def unlinked_groups(self) -> list[str | None]:
        """Models (None: the top level) whose several members have no recorded edge between them."""
        edges = self._recorded_edges()
        return [parent for parent, members in self.children.items()
                if len(members) > 1 and not any(s in set(members) and t in set(members) for s, t, _ in edges)]

    def _first_call(self, name: str) -> float:
        """When the traced step first computed ``name`` or anything inside it (never: after all others)."""
        inside = [self._first_call(child) for child in self.children.get(name, [])]
        return min([self.rank.get(name, math.inf), *inside])

    def _raw_edges(self) -> list[tuple[str, str, bool]]:
        edges = self._recorded_edges()
        for parent in self.unlinked_groups():
            # a subclassed model records no graph: chain its members in the order the traced step called
            # them (``discriminator(generator(noise))``: generator first), else in creation order
            members = sorted(self.children[parent], key=self._first_call)
            edges.extend((a, b, True) for a, b in zip(members, members[1:]))
        return edges

    def _ends(self, group: str, want: str) -> list[str]:
        members = self.children.get(group, [])
        inside = set(members)
        linked = {(t if want == "entries" else s) for s, t, _ in self.raw if s in inside and t in inside}
        ends = [m for m in members if m not in linked] or members[:1]
        return [leaf for m in ends for leaf in (self._ends(m, want) if m in self.containers else [m])]

    def leaf_edges(self) -> list[tuple[str, str, bool]]:
        seen: set[tuple[str, str]] = set()
        out = []
        for source, target, inferred in self.raw:
            sources = self._ends(source, "exits") if source in self.containers else [source]
            targets = self._ends(target, "entries") if target in self.containers else [target]
            for s in sources:
                for t in targets:
                    if s != t and (s, t) not in seen:
                        seen.add((s, t))
                        out.append((s, t, inferred))
        return out


def _name_groups(structure: _Structure, leaves: list[str]) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Repeated blocks (``conv4_block7_*``) and stages (``conv4``) from layer names; long runs in ranges."""
    group_of: dict[str, str] = {}
    groups: list[dict[str, Any]] = []
    for container in structure.order:
        if container in structure.containers:
            groups.append({"id": container, "label": container, "kind": "model",
                           "parent": structure.parent[container]})
    by_parent: dict[str | None, list[str]] = {}
    for leaf in leaves:
        by_parent.setdefault(structure.parent[leaf], []).append(leaf)
    for parent, members in by_parent.items():
        blocks: dict[str, list[str]] = {}
        stage_of: dict[str, str] = {}
        for name in members:
            match = _BLOCK.match(name)
            if match:
                blocks.setdefault(match["block"], []).append(name)
                stage_of[match["block"]] = match["stage"]
        blocks = {block: names for block, names in blocks.items() if len(names) >= 2}
        stages: dict[str, list[str]] = {}
        for block in blocks:
            if stage_of[block]:
                stages.setdefault(stage_of[block], []).append(block)
        prefix = f"{parent}/" if parent else ""
        for stage, stage_blocks in stages.items():
            if len(stage_blocks) >= 2:
                groups.append({"id": prefix + stage, "label": stage, "kind": "stage", "parent": parent})
        for block, names in blocks.items():
            stage = stage_of[block]
            block_parent = prefix + stage if stage and len(stages.get(stage, [])) >= 2 else parent
            groups.append({"id": prefix + block, "label": block, "kind": "block", "parent": block_parent})
            for name in names:
                group_of[name] = prefix + block
        loose = [name for name in members if name not in group_of]
        if len(loose) > MAX_DIRECT_CHILDREN:
            for start in range(0, len(loose), RANGE_SIZE):
                chunk = loose[start:start + RANGE_SIZE]
                group_id = f"{prefix}layers {start + 1}-{start + len(chunk)}"
                groups.append({"id": group_id, "label": group_id, "kind": "range", "parent": parent})
                for name in chunk:
                    group_of[name] = group_id
    for leaf in leaves:
        group_of.setdefault(leaf, structure.parent[leaf])
    return group_of, groups


def _aggregate(nodes: Iterable[dict[str, Any]]) -> dict[str, Any]:
    states = [n["state"] for n in nodes if n["state"] != "passive"]
    if not states:
        state = "passive"
    elif "nan" in states:
        state = "nan"
    elif all(s == "none" for s in states):
        state = "none"
    elif "none" in states or "partial" in states:
        state = "partial"
    elif all(s == "frozen" for s in states):
        state = "frozen"
    elif all(s in ("zero", "frozen") for s in states):
        state = "zero"
    elif "ok" in states:
        state = "ok"
    else:
        state = "unknown" if "unknown" in states else "connected"
    norms = [n["norm"] for n in nodes if _finite(n.get("norm"))]
    maxes = [n["max"] for n in nodes if _finite(n.get("max"))]
    return {"state": state, "norm": _round(math.sqrt(sum(v * v for v in norms))) if norms else None,
            "max": _round(max(maxes)) if maxes else None}


def build_flow_graph(fit: FitEvidence, findings: list[Finding] | None = None) -> dict[str, Any]:
    """The gradient-flow graph of one ``fit`` call, as plain JSON-ready data."""
    info = fit.model_info
    probe = fit.probe
    structure = _Structure(info.layers, fit.traced_layer_order)
    stats = _layer_stats(fit)
    leaves = [name for name in structure.order if name not in structure.containers]
    group_of, groups = _name_groups(structure, leaves)
    codes: dict[str, list[str]] = {}
    for finding in findings or []:
        for name in [finding.layer, *finding.evidence.get("layers_without_gradient", [])]:
            if name and finding.code not in codes.get(name, []):
                codes.setdefault(name, []).append(finding.code)

    nodes: list[dict[str, Any]] = []
    for name in leaves:
        layer = structure.layers[name]
        entry = stats.get(name)
        node: dict[str, Any] = {"id": name, "class": layer.class_name, "group": group_of.get(name),
                                "state": _state(layer, entry), "params": layer.params,
                                "trainable": layer.trainable, "shape": layer.output_shape, "line": layer.line}
        if entry and entry["size"]:
            node["norm"] = _round(math.sqrt(entry["sq"]))
            if entry["abs_sum"] is not None:
                node["mean"] = _round(entry["abs_sum"] / entry["size"])
            node["max"] = _round(entry["max"])
        if entry and entry["nan"]:
            node["norm"] = "NaN"
        if name in codes:
            node["codes"] = codes[name]
        nodes.append(node)

    edges: list[dict[str, Any]] = []
    outgoing: set[str] = set()
    for source, target, inferred in structure.leaf_edges():
        edge: dict[str, Any] = {"source": source, "target": target}
        if inferred:
            edge["inferred"] = True
        edges.append(edge)
        outgoing.add(source)
    sinks = [n["id"] for n in nodes if n["id"] not in outgoing and n["class"] != "InputLayer"]
    loss_node = {"id": LOSS_NODE, "class": "Loss", "group": None, "state": "loss", "label": "loss",
                 "loss": _round(probe.loss) if probe and probe.loss is not None else _first_loss(fit.recording)}
    nodes.append(loss_node)
    for sink in sinks:
        edges.append({"source": sink, "target": LOSS_NODE})

    cuts = []
    names = set(leaves)
    for cut in probe.cuts if probe else []:
        layer = info.layer_for_scope(cut.layer_scope)
        layer = layer if layer in names else None
        cut_data = {"op": cut.op_type, "op_name": cut.op_name, "line": cut.line, "reason": cut.reason,
                    "layer": layer}
        cuts.append(cut_data)
        at = layer or LOSS_NODE
        marked = [e for e in edges if e["target"] == at]
        for edge in marked:
            edge.setdefault("cut", {k: cut_data[k] for k in ("op", "line", "reason")})
        if not marked:
            node = next(n for n in nodes if n["id"] == at)
            node.setdefault("cut", {k: cut_data[k] for k in ("op", "line", "reason")})

    members: dict[str, list[dict[str, Any]]] = {}
    group_parent = {g["id"]: g["parent"] for g in groups}
    for node in nodes:
        group = node["group"]
        while group is not None:
            members.setdefault(group, []).append(node)
            group = group_parent.get(group)
    for group in groups:
        group.update(_aggregate(members.get(group["id"], [])))
        group["size"] = len(members.get(group["id"], []))

    norms = [n["norm"] for n in nodes if _finite(n.get("norm")) and n["norm"] > 0]
    return {
        "model": info.name,
        "class": info.class_name,
        "fit": fit.index,
        "fit_line": fit.line,
        "probe": probe.mode if probe else None,
        "measured": bool(norms),
        "range": {"min": min(norms), "max": max(norms)} if norms else None,
        "nodes": nodes,
        "edges": edges,
        "groups": groups,
        "cuts": cuts,
    }


def has_problem(graph: dict[str, Any] | None) -> bool:
    return bool(graph) and (bool(graph["cuts"]) or any(n["state"] in PROBLEM_STATES for n in graph["nodes"]))


def record_graph(report: Report, fit: FitEvidence) -> None:
    """Keep in ``report.graph`` the latest fit's graph, unless it hides an earlier gradient problem."""
    graph = build_flow_graph(fit, report.findings)
    if has_problem(report.graph) and not has_problem(graph):
        return
    report.graph = graph
