// gradmagic diagnosis panel (anywidget ESM). Python sends ready-made payloads; this file
// only draws them. Every user string reaches the DOM through textContent / text nodes and
// createElementNS: no HTML parsing of data anywhere.
import dagre from "./dagre.esm.js";
const loadDagre = async () => dagre;

const SVG_NS = "http://www.w3.org/2000/svg";
const NODE_W = 168;
const NODE_H = 30;
const DEFAULT_LIMIT = 40;
const ANSWER_TIMEOUT_MS = 8000;
export const NO_EXTENSION =
  "the gradmagic JupyterLab extension is not active in this frontend, so the cell cannot be rewritten from here; use Copy";

// -- DOM helpers -------------------------------------------------------------------------

function append(node, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.appendChild(typeof child === "string" || typeof child === "number"
      ? document.createTextNode(String(child)) : child);
  }
  return node;
}

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  return append(node, children);
}

function s(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, String(value));
  }
  return append(node, children);
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

// -- pure helpers (exported for tests) ----------------------------------------------------

export function fmt(value) {
  if (value === null || value === undefined) return "–";
  if (typeof value === "string") return value;
  if (typeof value === "number") {
    if (value === 0) return "0";
    const abs = Math.abs(value);
    return abs >= 1e4 || abs < 1e-3 ? value.toExponential(2) : String(Number(value.toPrecision(4)));
  }
  return JSON.stringify(value);
}

export function truncate(text, max = 24) {
  return text.length <= max ? text : text.slice(0, max - 1) + "…";
}

export function diffRows(diff) {
  return (diff || "").split("\n").filter((line, i, all) => i < all.length - 1 || line !== "").map((line) => ({
    kind: line.startsWith("@@") ? "hunk" : line.startsWith("+++") || line.startsWith("---") ? "file"
      : line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : "ctx",
    text: line,
  }));
}

export function patchUnavailable(fix, doc = globalThis.document) {
  if (fix.apply_disabled) return fix.apply_disabled;
  if (!doc || !doc.body || doc.body.dataset.gradmagic !== "ready") return NO_EXTENSION;
  return null;
}

function groupIndex(graph) {
  const groups = new Map((graph.groups || []).map((g) => [g.id, g]));
  const ancestors = (groupId) => {
    const chain = [];
    let current = groupId;
    while (current !== null && current !== undefined && groups.has(current) && !chain.includes(current)) {
      chain.push(current);
      current = groups.get(current).parent;
    }
    return chain; // innermost first
  };
  return { groups, ancestors };
}

// What is on screen for a set of collapsed groups: layers, collapsed groups (as one node),
// expanded groups (as clusters) and the edges between visible items.
export function visibleGraph(graph, collapsed) {
  const { groups, ancestors } = groupIndex(graph);
  const rep = new Map();
  const clusters = new Map();
  const nodes = [];
  const byKeyNode = new Map();
  for (const node of graph.nodes) {
    const chain = ancestors(node.group);
    let outer = null;
    for (const g of chain) if (collapsed.has(g)) outer = g;
    const id = outer === null ? "L:" + node.id : "G:" + outer;
    rep.set(node.id, id);
    if (byKeyNode.has(id)) continue;
    const around = outer === null ? chain : ancestors(groups.get(outer).parent);
    around.forEach((g, i) => {
      if (!clusters.has(g)) clusters.set(g, { key: "C:" + g, id: g, group: groups.get(g), parent: around[i + 1] ?? null });
    });
    const parent = around.length ? around[0] : null;
    const entry = outer === null
      ? { key: id, kind: "layer", id: node.id, item: node, parent, cut: node.cut || null }
      : { key: id, kind: "group", id: outer, item: groups.get(outer), parent, cut: null };
    byKeyNode.set(id, entry);
    nodes.push(entry);
  }
  const edges = [];
  const byKey = new Map();
  for (const edge of graph.edges) {
    const source = rep.get(edge.source);
    const target = rep.get(edge.target);
    if (!source || !target) continue;
    if (source === target) {
      // a cut inside a collapsed group is drawn on the group itself
      const inside = byKeyNode.get(source);
      if (edge.cut && inside && !inside.cut) inside.cut = edge.cut;
      continue;
    }
    const key = source + "\u0000" + target;
    let entry = byKey.get(key);
    if (!entry) {
      entry = { source, target, cut: null, inferred: Boolean(edge.inferred) };
      byKey.set(key, entry);
      edges.push(entry);
    }
    if (edge.cut && !entry.cut) entry.cut = edge.cut;
  }
  return { nodes, edges, clusters: [...clusters.values()], rep };
}

export function initialCollapsed(graph, limit = DEFAULT_LIMIT) {
  const collapsed = new Set();
  for (const kinds of [["block", "range"], ["stage"], ["model"]]) {
    if (visibleGraph(graph, collapsed).nodes.length <= limit) break;
    for (const g of graph.groups || []) if (kinds.includes(g.kind)) collapsed.add(g.id);
  }
  return collapsed;
}

export async function layoutGraph(view) {
  const lib = await loadDagre();
  const g = new lib.graphlib.Graph({ compound: true, multigraph: false });
  g.setGraph({ rankdir: "TB", nodesep: 18, ranksep: 34, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const c of view.clusters) g.setNode(c.key, { paddingTop: 22 });
  for (const c of view.clusters) if (c.parent !== null) g.setParent(c.key, "C:" + c.parent);
  for (const n of view.nodes) {
    g.setNode(n.key, { width: NODE_W, height: NODE_H });
    if (n.parent !== null) g.setParent(n.key, "C:" + n.parent);
  }
  for (const e of view.edges) g.setEdge(e.source, e.target, {});
  lib.layout(g);
  const place = (key) => {
    const d = g.node(key);
    return { x: d.x, y: d.y, width: d.width, height: d.height };
  };
  const info = g.graph();
  return {
    nodes: new Map(view.nodes.map((n) => [n.key, place(n.key)])),
    clusters: new Map(view.clusters.map((c) => [c.key, place(c.key)])),
    edges: view.edges.map((e) => ({ ...e, points: g.edge(e.source, e.target).points })),
    width: info.width || 0,
    height: info.height || 0,
  };
}

// -- the panel ---------------------------------------------------------------------------

let counter = 0;

// -- live training points ----------------------------------------------------------------

// Python sends the points of a running fit as custom messages carrying only what this view lacks
// (`DiagnosisPanel.send_points`): keep the first `start` points of that fit, append the rest.
export function applyLivePoints(live, msg) {
  if (!msg || msg.kind !== "training_points") return live;
  const fresh = !live || live.fit !== msg.fit || !msg.start;
  const base = fresh ? { fit: msg.fit, steps: [], loss: [], grad_norm: [] } : live;
  const start = fresh ? 0 : Math.min(msg.start, base.steps.length);
  const next = { fit: msg.fit, markers: msg.markers || [] };
  for (const key of ["steps", "loss", "grad_norm"]) next[key] = base[key].slice(0, start).concat(msg[key] || []);
  return next;
}

// The live points as the training view's payload (`training_payload` of the points gathered live).
export function liveTraining(live) {
  if (!live || !live.steps.length) return { loss: null, total: null, layers: {}, markers: [], epoch_ends: [] };
  return {
    loss: { steps: live.steps, values: live.loss.slice(0, live.steps.length) },
    total: { steps: live.steps, values: live.grad_norm.slice(0, live.steps.length) },
    layers: {},
    markers: live.markers || [],
    epoch_ends: [],
  };
}

function render({ model, el }) {
  const uid = "gm" + Date.now().toString(36) + (counter++).toString(36);
  const root = h("div", { class: "gm-panel" });
  el.appendChild(root);
  const ui = {
    tab: null,
    collapsed: null,
    graphKey: null,
    search: "",
    matchIndex: -1,
    selected: null,
    zoom: { k: 1, x: 0, y: 0 },
    layout: null,
    view: null,
    graphBox: null,
    pendingFocus: null,
    live: null, // the running fit's points (custom messages), until the `training` state replaces them
  };

  const headerBox = h("div", { class: "gm-header" });
  const tabsBox = h("div", { class: "gm-tabs", role: "tablist" });
  const body = h("div", { class: "gm-body" });
  append(root, [headerBox, tabsBox, body]);

  function tabs() {
    const findings = model.get("findings") || [];
    const graph = model.get("graph") || {};
    const list = [["findings", `Findings (${findings.length})`], ["graph", "Gradient flow"], ["training", "Training"]];
    if (ui.tab === null) ui.tab = findings.length || !graph.nodes ? "findings" : "graph";
    clear(tabsBox);
    for (const [id, label] of list) {
      append(tabsBox, h("button", {
        class: "gm-tab" + (ui.tab === id ? " gm-active" : ""), role: "tab", "aria-selected": ui.tab === id,
        onclick: () => { ui.tab = id; tabs(); drawBody(); },
      }, label));
    }
  }

  function drawHeader() {
    const header = model.get("header") || {};
    const counts = header.counts || { error: 0, warning: 0, info: 0 };
    clear(headerBox);
    const fits = (header.fits || []).map((fit) => h("span", {
      class: "gm-chip gm-status-" + fit.status,
      title: fit.exception_type ? `${fit.exception_type}: ${fit.exception_message || ""}` : "",
    }, `${fit.method} #${fit.index + 1}${fit.line ? " · line " + fit.line : ""}: ${fit.status}`,
    fit.exception_type ? ` (${fit.exception_type})` : ""));
    append(headerBox, [
      h("span", { class: "gm-title" }, "gradmagic"),
      header.running ? h("span", { class: "gm-chip gm-running" }, "running…") : null,
      fits.length ? fits : h("span", { class: "gm-muted" }, "no fit call ran"),
      h("span", { class: "gm-chip gm-sev-error" + (counts.error ? "" : " gm-zero") }, `${counts.error} error(s)`),
      h("span", { class: "gm-chip gm-sev-warning" + (counts.warning ? "" : " gm-zero") }, `${counts.warning} warning(s)`),
      h("span", { class: "gm-chip gm-sev-info" + (counts.info ? "" : " gm-zero") }, `${counts.info} note(s)`),
      header.duration_s !== null && header.duration_s !== undefined
        ? h("span", { class: "gm-muted" }, `checked in ${fmt(header.duration_s)} s`) : null,
    ]);
    for (const notice of header.notices || []) append(headerBox, h("div", { class: "gm-notice" }, "gradmagic: " + notice));
    if (header.tool_error) append(headerBox, h("div", { class: "gm-notice" }, "gradmagic: " + header.tool_error));
  }

  function drawBody() {
    clear(body);
    if (ui.tab === "findings") drawFindings();
    else if (ui.tab === "graph") drawGraph();
    else drawTraining();
  }

  // -- findings and fixes --------------------------------------------------------------

  function drawFindings() {
    const findings = model.get("findings") || [];
    if (!findings.length) {
      append(body, h("div", { class: "gm-empty" }, "no problems found in this cell's fit calls"));
      return;
    }
    for (const finding of findings) append(body, findingCard(finding, findings));
  }

  function findingCard(f, findings = []) {
    const where = [];
    if (f.line) where.push(`line ${f.line}`);
    if (f.layer) where.push(`layer ${f.layer}`);
    if (f.step !== null && f.step !== undefined) where.push(`step ${f.step}`);
    const card = h("div", { class: "gm-card gm-card-" + f.severity },
      h("div", { class: "gm-card-head" },
        h("span", { class: "gm-badge gm-sev-" + f.severity }, `${f.severity}[${f.code}]`),
        h("span", { class: "gm-name" }, f.name)),
      h("div", { class: "gm-message" }, f.message),
      where.length ? h("div", { class: "gm-where" }, "--> " + where.join(" · "),
        f.layer ? h("button", { class: "gm-link", onclick: () => showInGraph(f.layer) }, "show in graph") : null) : null);
    if (f.frame && f.frame.length) {
      const width = String(f.frame[f.frame.length - 1].n).length;
      append(card, h("pre", { class: "gm-frame" }, f.frame.map((row) => h("div", { class: row.hit ? "gm-hit" : "" },
        h("span", { class: "gm-lineno" }, String(row.n).padStart(width, " ") + " | "), row.text))));
    }
    const cause = Number.isInteger(f.caused_by) ? findings[f.caused_by] : null; // findings.md: caused_by
    if (cause) append(card, h("div", { class: "gm-note" }, `= follows from ${cause.code} (${cause.name})`));
    for (const note of f.notes || []) append(card, h("div", { class: "gm-note" }, "= note: " + note));
    const evidence = Object.entries(f.evidence || {});
    if (evidence.length) {
      append(card, h("table", { class: "gm-evidence" }, evidence.map(([key, value]) =>
        h("tr", {}, h("td", {}, key), h("td", {}, fmt(value))))));
    }
    if (f.help) append(card, h("div", { class: "gm-help" }, h("b", {}, "help"), ": " + f.help));
    if (f.doc) {
      append(card, h("details", { class: "gm-doc" }, h("summary", {}, `learn more about ${f.code}`),
        h("pre", {}, f.doc)));
    }
    for (const fix of f.fixes || []) append(card, fixCard(fix));
    return card;
  }

  function fixCard(fix) {
    const applied = () => Boolean((model.get("applied") || {})[fix.id]);
    const status = h("span", { class: "gm-fix-status", role: "status" });
    const apply = h("button", { class: "gm-button gm-primary" }, "Apply");
    const applyRun = h("button", { class: "gm-button" }, "Apply & re-run");
    const undo = h("button", { class: "gm-button" }, "Undo");
    const copy = h("button", { class: "gm-button", title: "copy the fixed cell to the clipboard" }, "Copy");
    const card = h("div", { class: "gm-fix", "data-fix": fix.id },
      h("div", { class: "gm-fix-head" },
        h("span", { class: "gm-badge gm-safety-" + fix.safety }, fix.safety),
        h("span", { class: "gm-fix-title" }, fix.title)),
      fix.reason ? h("div", { class: "gm-fix-reason" }, fix.reason) : null,
      h("pre", { class: "gm-diff" }, diffRows(fix.diff).map((row) => h("div", { class: "gm-diff-" + row.kind }, row.text))),
      h("div", { class: "gm-fix-actions" }, apply, applyRun, undo, copy, status));
    let pending = null;
    let timer = null;

    function refresh() {
      const reason = patchUnavailable(fix);
      const busy = pending !== null;
      for (const button of [apply, applyRun]) {
        button.disabled = Boolean(reason) || busy || applied();
        if (reason) button.setAttribute("title", reason);
        else button.removeAttribute("title");
      }
      undo.hidden = !applied();
      undo.disabled = busy || Boolean(reason);
      if (applied() && !busy) status.textContent = "applied";
    }

    function send(action, expectedSource, newSource) {
      const requestId = `${uid}:${fix.id}:${Date.now()}:${counter++}`;
      pending = { requestId, action };
      status.textContent = action === "undo" ? "undoing…" : "applying…";
      refresh();
      timer = setTimeout(() => {
        if (pending && pending.requestId === requestId) {
          pending = null;
          status.textContent = "no answer from the gradmagic JupyterLab extension";
          refresh();
        }
      }, ANSWER_TIMEOUT_MS);
      card.dispatchEvent(new CustomEvent("gradmagic:patch", {
        bubbles: true,
        composed: true,
        detail: { requestId, action, cellId: fix.cell_id, expectedSource, newSource },
      }));
    }

    card.addEventListener("gradmagic:patch-result", (event) => {
      const detail = event.detail || {};
      if (!pending || detail.requestId !== pending.requestId) return;
      const action = pending.action;
      pending = null;
      clearTimeout(timer);
      if (detail.ok) {
        const next = { ...(model.get("applied") || {}) };
        if (action === "undo") delete next[fix.id];
        else next[fix.id] = true;
        model.set("applied", next);
        model.save_changes();
        status.textContent = action === "undo" ? "undone" : "applied";
      } else {
        status.textContent = (action === "undo" ? "undo refused: " : "refused: ") + (detail.reason || "no reason given");
      }
      refresh();
    });
    apply.addEventListener("click", () => send("apply", fix.expected_source, fix.new_source));
    applyRun.addEventListener("click", () => send("apply-run", fix.expected_source, fix.new_source));
    undo.addEventListener("click", () => send("undo", fix.new_source, fix.expected_source));
    copy.addEventListener("click", async () => {
      status.textContent = (await copyText(fix.new_source)) ? "copied the fixed cell" : "copy failed";
    });
    card.addEventListener("pointerenter", refresh);
    refresh();
    return card;
  }

  async function copyText(textValue) {
    try {
      await navigator.clipboard.writeText(textValue);
      return true;
    } catch (error) {
      const area = h("textarea", { class: "gm-offscreen" });
      area.value = textValue;
      root.appendChild(area);
      area.select();
      let ok = false;
      try { ok = document.execCommand("copy"); } catch (ignored) { ok = false; }
      area.remove();
      return ok;
    }
  }

  // -- gradient-flow graph -------------------------------------------------------------

  function showInGraph(layer) {
    ui.tab = "graph";
    ui.selected = layer;
    ui.pendingFocus = layer;
    tabs();
    drawBody();
  }

  function currentGraph() {
    const graph = model.get("graph") || {};
    const key = JSON.stringify([graph.model, graph.fit, (graph.nodes || []).length]);
    if (ui.graphKey !== key) {
      ui.graphKey = key;
      ui.collapsed = graph.nodes ? initialCollapsed(graph) : new Set();
      ui.zoom = null;
    }
    return graph;
  }

  function expandTo(graph, layer) {
    const { ancestors } = groupIndex(graph);
    const node = graph.nodes.find((n) => n.id === layer);
    if (node) for (const g of ancestors(node.group)) ui.collapsed.delete(g);
  }

  function matches(graph) {
    const query = ui.search.trim().toLowerCase();
    if (!query) return [];
    return graph.nodes.filter((n) => n.id !== "__loss__" && n.id.toLowerCase().includes(query)).map((n) => n.id);
  }

  function drawGraph() {
    const graph = currentGraph();
    if (!graph.nodes) {
      append(body, h("div", { class: "gm-empty" }, "no model was captured, so there is no gradient-flow graph"));
      return;
    }
    const found = matches(graph);
    const search = h("input", {
      class: "gm-search", type: "search", placeholder: "search layer name", value: ui.search,
      "aria-label": "search layer name",
    });
    const count = h("span", { class: "gm-muted" }, ui.search ? `${found.length} match(es)` : "");
    search.addEventListener("input", () => {
      ui.search = search.value;
      ui.matchIndex = -1;
      const next = matches(graph);
      count.textContent = ui.search ? `${next.length} match(es)` : "";
      highlight(next);
      drawBars(graph, next);
    });
    search.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      const list = matches(graph);
      if (!list.length) return;
      ui.matchIndex = (ui.matchIndex + 1) % list.length;
      ui.selected = list[ui.matchIndex];
      ui.pendingFocus = ui.selected;
      expandTo(graph, ui.selected);
      redrawCanvas(graph);
    });
    const button = (label, title, action) => h("button", { class: "gm-button gm-small", title, onclick: action }, label);
    const toolbar = h("div", { class: "gm-toolbar" }, search, count,
      button("fit", "fit the graph in view", () => { ui.zoom = null; applyZoom(); }),
      button("+", "zoom in", () => zoomBy(1.25)),
      button("−", "zoom out", () => zoomBy(0.8)),
      (graph.groups || []).length ? button("expand all", "show every layer", () => { ui.collapsed = new Set(); ui.zoom = null; redrawCanvas(graph); }) : null,
      (graph.groups || []).length ? button("collapse", "group repeated blocks", () => { ui.collapsed = initialCollapsed(graph, 0); ui.zoom = null; redrawCanvas(graph); }) : null);
    const svgNode = s("svg", { class: "gm-graph-svg", role: "img", "aria-label": "gradient flow graph" });
    const canvas = h("div", { class: "gm-canvas" }, svgNode);
    const bars = h("div", { class: "gm-bars" });
    const info = h("div", { class: "gm-info" });
    ui.graphBox = { svg: svgNode, canvas, bars, info, count };
    append(body, [toolbar, h("div", { class: "gm-graph-row" }, canvas, bars), legendBox(graph), info]);
    enablePanZoom(svgNode);
    redrawCanvas(graph);
    drawBars(graph, found);
    drawInfo(graph);
  }

  async function redrawCanvas(graph) {
    const box = ui.graphBox;
    if (!box) return;
    const view = visibleGraph(graph, ui.collapsed);
    let layout;
    try {
      layout = await layoutGraph(view);
    } catch (error) {
      clear(box.svg);
      append(box.svg, s("text", { x: 10, y: 20 }, "the graph could not be laid out: " + String(error)));
      return;
    }
    if (box !== ui.graphBox) return;
    ui.layout = layout;
    ui.view = view;
    const svgNode = box.svg;
    // small graphs get a small canvas; large ones a fixed window to pan and zoom in
    svgNode.style.height = `${Math.round(Math.min(520, Math.max(180, layout.height + 16)))}px`;
    clear(svgNode);
    const arrow = uid + "-arrow";
    const cutArrow = uid + "-cut";
    append(svgNode, s("defs", {},
      s("marker", { id: arrow, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 8, markerHeight: 8, markerUnits: "userSpaceOnUse", orient: "auto" },
        s("path", { d: "M0,0 L10,5 L0,10 z", fill: "#888" })),
      s("marker", { id: cutArrow, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 10, markerHeight: 10, markerUnits: "userSpaceOnUse", orient: "auto" },
        s("path", { d: "M0,0 L10,5 L0,10 z", fill: graph.legend ? graph.legend.cut : "#d62728" }))));
    const viewport = s("g", { class: "gm-viewport" });
    svgNode.appendChild(viewport);
    for (const cluster of view.clusters) {
      const place = layout.clusters.get(cluster.key);
      const style = cluster.group.style || {};
      append(viewport, s("g", { class: "gm-cluster" },
        s("rect", { x: place.x - place.width / 2, y: place.y - place.height / 2, width: place.width, height: place.height,
          rx: 6, fill: "none", stroke: style.stroke || "#999", "stroke-dasharray": "4 3" }),
        s("text", { x: place.x - place.width / 2 + 6, y: place.y - place.height / 2 + 14, class: "gm-cluster-label",
          onclick: () => { ui.collapsed.add(cluster.id); redrawCanvas(graph); } },
        s("title", {}, "click to collapse"), "▾ " + truncate(cluster.group.label || cluster.id, 40))));
    }
    for (const edge of layout.edges) {
      const d = edge.points.map((p, i) => `${i ? "L" : "M"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ");
      const cut = edge.cut;
      const path = s("path", {
        d, class: "gm-edge" + (cut ? " gm-edge-cut" : ""), fill: "none",
        stroke: cut ? graph.legend.cut : "#9a9a9a", "stroke-width": cut ? 2.5 : 1.2,
        "stroke-dasharray": cut ? "6 3" : edge.inferred ? "2 3" : null,
        "marker-end": `url(#${cut ? cutArrow : arrow})`,
      });
      viewport.appendChild(path);
      if (cut) {
        const mid = edge.points[Math.floor(edge.points.length / 2)];
        const label = `✂ ${cut.op}${cut.line ? " · line " + cut.line : ""}`;
        append(viewport, s("g", { class: "gm-cut-label" },
          s("title", {}, `the gradient stops here: ${cut.op} (${cut.reason})${cut.line ? " at line " + cut.line : ""}`),
          s("rect", { x: mid.x + 6, y: mid.y - 10, width: 8 + label.length * 6.4, height: 18, rx: 3, fill: "#fff", stroke: graph.legend.cut }),
          s("text", { x: mid.x + 10, y: mid.y + 3, fill: graph.legend.cut }, label)));
      }
    }
    for (const node of view.nodes) viewport.appendChild(nodeShape(graph, node, layout.nodes.get(node.key)));
    highlight(matches(graph));
    if (ui.pendingFocus) {
      const key = view.rep.get(ui.pendingFocus);
      ui.pendingFocus = null;
      if (key) centerOn(layout.nodes.get(key));
    } else applyZoom();
    drawInfo(graph);
  }

  function nodeShape(graph, node, place) {
    const item = node.item;
    const style = item.style || {};
    const isGroup = node.kind === "group";
    const label = isGroup ? `▸ ${item.label || item.id} (${item.size})` : item.label || item.id;
    const cut = node.cut;
    const group = s("g", {
      class: "gm-node" + (isGroup ? " gm-node-group" : ""), "data-id": node.id, "data-state": item.state,
      transform: `translate(${(place.x - NODE_W / 2).toFixed(1)},${(place.y - NODE_H / 2).toFixed(1)})`,
      onclick: (event) => {
        event.stopPropagation();
        if (isGroup) {
          ui.collapsed.delete(node.id);
          ui.pendingFocus = null;
          redrawCanvas(graph);
        } else {
          ui.selected = node.id;
          drawInfo(graph);
          highlight(matches(graph));
        }
      },
    }, s("title", {}, tooltip(node)),
    s("rect", { width: NODE_W, height: NODE_H, rx: isGroup ? 9 : 4, fill: style.fill, stroke: cut ? graph.legend.cut : style.stroke,
      "stroke-width": cut ? 2.5 : 1.5, "stroke-dasharray": style.dash || null }),
    s("text", { x: NODE_W / 2, y: NODE_H / 2 + 4, "text-anchor": "middle", fill: style.text }, truncate(label, 26)));
    if (item.codes && item.codes.length) {
      append(group, s("text", { x: NODE_W - 4, y: -3, "text-anchor": "end", class: "gm-node-codes" }, item.codes.join(" ")));
    }
    if (cut) {
      append(group, s("text", { x: 0, y: -3, class: "gm-node-codes", fill: graph.legend.cut },
        `✂ ${cut.op}${cut.line ? " · line " + cut.line : ""}`));
    }
    return group;
  }

  function tooltip(node) {
    const item = node.item;
    const lines = [node.kind === "group" ? `${item.label || item.id} (${item.kind}, ${item.size} layers)` : `${item.id} (${item.class})`];
    lines.push(`state: ${item.state}`);
    if (item.shape) lines.push(`output: ${item.shape}`);
    if (item.params) lines.push(`params: ${item.params}`);
    if (item.norm !== undefined && item.norm !== null) lines.push(`‖g‖: ${fmt(item.norm)}`);
    if (item.mean !== undefined && item.mean !== null) lines.push(`mean |g|: ${fmt(item.mean)}`);
    if (item.max !== undefined && item.max !== null) lines.push(`max |g|: ${fmt(item.max)}`);
    if (item.loss !== undefined && item.loss !== null) lines.push(`loss: ${fmt(item.loss)}`);
    if (item.line) lines.push(`line ${item.line}`);
    if (node.kind === "group") lines.push("click to expand");
    return lines.join("\n");
  }

  function highlight(found) {
    const box = ui.graphBox;
    if (!box || !ui.view) return;
    const wanted = new Set(found.map((id) => ui.view.rep.get(id)));
    const selected = ui.selected ? ui.view.rep.get(ui.selected) : null;
    for (const node of box.svg.querySelectorAll(".gm-node")) {
      const key = (node.classList.contains("gm-node-group") ? "G:" : "L:") + node.getAttribute("data-id");
      node.classList.toggle("gm-match", wanted.has(key));
      node.classList.toggle("gm-selected", key === selected);
    }
  }

  function drawInfo(graph) {
    const box = ui.graphBox;
    if (!box) return;
    clear(box.info);
    const node = graph.nodes.find((n) => n.id === ui.selected);
    if (!node) {
      append(box.info, h("span", { class: "gm-muted" },
        "hover a layer for its numbers, click it for details; click a grouped block to open it; drag to pan, wheel to zoom"));
      return;
    }
    const facts = [["layer", node.id], ["class", node.class], ["state", node.state], ["output", node.shape],
      ["params", node.params], ["‖g‖", node.norm], ["mean |g|", node.mean], ["max |g|", node.max],
      ["line", node.line], ["findings", (node.codes || []).join(", ")]];
    append(box.info, h("table", { class: "gm-evidence" }, facts.filter(([, v]) => v !== undefined && v !== null && v !== "")
      .map(([k, v]) => h("tr", {}, h("td", {}, k), h("td", {}, fmt(v))))));
  }

  function legendBox(graph) {
    const legend = graph.legend || {};
    const box = h("div", { class: "gm-legend" });
    if (legend.scale) {
      const bar = s("svg", { width: 10 * legend.scale.stops.length, height: 12 },
        legend.scale.stops.map((color, i) => s("rect", { x: i * 10, y: 0, width: 10, height: 12, fill: color })));
      append(box, h("span", { class: "gm-legend-item" }, `‖g‖ ${fmt(legend.scale.min)} `, bar, ` ${fmt(legend.scale.max)} (log)`));
    } else {
      append(box, h("span", { class: "gm-legend-item gm-muted" }, "no gradient norms were measured"));
    }
    for (const entry of legend.states || []) {
      append(box, h("span", { class: "gm-legend-item" },
        s("svg", { width: 14, height: 12 }, s("rect", { x: 1, y: 1, width: 12, height: 10, fill: entry.fill, stroke: entry.stroke,
          "stroke-dasharray": entry.dash || null })), " " + entry.label));
    }
    append(box, h("span", { class: "gm-legend-item" },
      s("svg", { width: 22, height: 12 }, s("line", { x1: 0, y1: 6, x2: 22, y2: 6, stroke: legend.cut, "stroke-width": 2.5, "stroke-dasharray": "6 3" })),
      " gradient cut"));
    return box;
  }

  function drawBars(graph, found) {
    const box = ui.graphBox;
    if (!box) return;
    clear(box.bars);
    const only = found.length ? new Set(found) : null;
    const rows = graph.nodes.filter((n) => n.params > 0 && n.state !== "passive" && (!only || only.has(n.id)));
    const values = rows.flatMap((n) => [n.mean, n.max]).filter((v) => typeof v === "number" && v > 0);
    append(box.bars, h("div", { class: "gm-bars-title" }, "mean / max |gradient| per layer"));
    if (!rows.length) {
      append(box.bars, h("div", { class: "gm-muted" }, only ? "no matching layer has weights" : "no layer with weights"));
      return;
    }
    const lo = values.length ? Math.log10(Math.min(...values)) : 0;
    const hi = values.length ? Math.log10(Math.max(...values)) : 1;
    const span = Math.max(hi - lo, 1e-9);
    const rowH = 16;
    const labelW = 120;
    const barW = 120;
    const pos = (v) => 4 + ((Math.log10(v) - lo) / span) * (barW - 8);
    const chart = s("svg", { width: labelW + barW + 8, height: rows.length * rowH + 4, class: "gm-bar-chart" });
    rows.forEach((n, i) => {
      const y = i * rowH + 2;
      const row = s("g", { class: "gm-bar-row", onclick: () => { ui.selected = n.id; ui.pendingFocus = n.id; expandTo(graph, n.id); redrawCanvas(graph); } },
        s("title", {}, `${n.id}: mean |g| ${fmt(n.mean)}, max |g| ${fmt(n.max)} (${n.state})`),
        s("text", { x: labelW - 4, y: y + 11, "text-anchor": "end" }, truncate(n.id, 18)));
      if (typeof n.max === "number" && n.max > 0) {
        append(row, s("rect", { x: labelW, y: y + 2, width: pos(n.max), height: 11, fill: "#9ecae1" }));
        if (typeof n.mean === "number" && n.mean > 0) append(row, s("rect", { x: labelW, y: y + 5, width: pos(n.mean), height: 5, fill: "#08519c" }));
      } else {
        append(row, s("text", { x: labelW + 4, y: y + 11, fill: (n.style || {}).stroke || "#666", class: "gm-bar-state" },
          n.state === "none" ? "no gradient" : n.state));
      }
      chart.appendChild(row);
    });
    append(box.bars, h("div", { class: "gm-bars-scroll" }, chart),
      h("div", { class: "gm-muted gm-small-text" }, "log scale; light: max, dark: mean"));
  }

  // -- zoom and pan ---------------------------------------------------------------------

  function applyZoom() {
    const box = ui.graphBox;
    if (!box || !ui.layout) return;
    if (!ui.zoom) {
      const width = box.svg.clientWidth || 640;
      const height = box.svg.clientHeight || 440;
      // fit the whole graph, but never so small that labels cannot be read: then start at the top
      const k = Math.max(0.5, Math.min(1.1, width / Math.max(ui.layout.width, 1), height / Math.max(ui.layout.height, 1)));
      ui.zoom = { k, x: Math.max(4, (width - ui.layout.width * k) / 2), y: 4 };
    }
    const viewport = box.svg.querySelector(".gm-viewport");
    if (viewport) viewport.setAttribute("transform", `translate(${ui.zoom.x},${ui.zoom.y}) scale(${ui.zoom.k})`);
  }

  function zoomBy(factor, cx, cy) {
    const box = ui.graphBox;
    if (!box) return;
    if (!ui.zoom) applyZoom();
    const z = ui.zoom;
    const px = cx ?? (box.svg.clientWidth || 640) / 2;
    const py = cy ?? (box.svg.clientHeight || 440) / 2;
    const k = Math.min(8, Math.max(0.02, z.k * factor));
    ui.zoom = { k, x: px - ((px - z.x) * k) / z.k, y: py - ((py - z.y) * k) / z.k };
    applyZoom();
  }

  function centerOn(place) {
    const box = ui.graphBox;
    if (!box || !place) return;
    const k = Math.max(ui.zoom ? ui.zoom.k : 1, 0.8);
    ui.zoom = { k, x: (box.svg.clientWidth || 640) / 2 - place.x * k, y: (box.svg.clientHeight || 440) / 2 - place.y * k };
    applyZoom();
  }

  function enablePanZoom(svgNode) {
    let drag = null;
    svgNode.addEventListener("wheel", (event) => {
      event.preventDefault();
      const rect = svgNode.getBoundingClientRect();
      zoomBy(event.deltaY < 0 ? 1.15 : 1 / 1.15, event.clientX - rect.left, event.clientY - rect.top);
    }, { passive: false });
    svgNode.addEventListener("pointerdown", (event) => {
      if (event.target.closest && event.target.closest(".gm-node, .gm-cluster-label")) return;
      if (!ui.zoom) applyZoom();
      drag = { x: event.clientX, y: event.clientY, zx: ui.zoom.x, zy: ui.zoom.y };
      svgNode.setPointerCapture(event.pointerId);
    });
    svgNode.addEventListener("pointermove", (event) => {
      if (!drag) return;
      ui.zoom = { ...ui.zoom, x: drag.zx + event.clientX - drag.x, y: drag.zy + event.clientY - drag.y };
      applyZoom();
    });
    const stop = () => { drag = null; };
    svgNode.addEventListener("pointerup", stop);
    svgNode.addEventListener("pointercancel", stop);
  }

  // -- training ------------------------------------------------------------------------

  function drawTraining() {
    const training = ui.live ? liveTraining(ui.live) : model.get("training") || {};
    const header = model.get("header") || {};
    const layers = Object.entries(training.layers || {});
    if (!training.loss && !training.total && !layers.length) {
      append(body, h("div", { class: "gm-empty" }, header.running
        ? "waiting for the first recorded steps…"
        : "no training history was recorded for this cell (training did not run, or the recorder was off)"));
      return;
    }
    const markers = training.markers || [];
    const epochs = training.epoch_ends || [];
    if (training.loss) {
      append(body, h("div", { class: "gm-chart-title" }, "loss", header.running ? h("span", { class: "gm-chip gm-running" }, "live") : null));
      append(body, lineChart([{ name: "loss", color: "#1f77b4", ...training.loss }], markers, epochs, false));
    }
    const stops = ((model.get("graph") || {}).legend || {}).scale;
    const palette = stops ? stops.stops : ["#440154", "#31688e", "#35b779", "#fde725"];
    const series = layers.length
      ? layers.map(([name, line], i) => ({
        name, ...line, color: palette[Math.round((i / Math.max(layers.length - 1, 1)) * (palette.length - 1))],
      }))
      : training.total ? [{ name: "all weights", color: "#1f77b4", ...training.total }] : [];
    if (series.length) {
      append(body, h("div", { class: "gm-chart-title" }, layers.length ? "gradient norm per layer (log scale)" : "gradient norm (log scale)"));
      append(body, lineChart(series, markers, epochs, true));
      if (layers.length > 1) {
        append(body, h("div", { class: "gm-muted gm-small-text" },
          `first layer: ${layers[0][0]} (dark) … last: ${layers[layers.length - 1][0]} (light); hover a line for its layer`));
      }
    }
  }

  // Each series brings its own steps (the recorder keeps buckets per series).
  function lineChart(series, markers, epochEnds, logScale) {
    const width = 640;
    const height = 180;
    const pad = { l: 54, r: 10, t: 8, b: 22 };
    // strict-JSON reports write NaN/Inf as "NaN"/"Infinity"/"-Infinity": non-finite, so they break the line
    const num = (v) => (typeof v === "string" ? Number(v) : v);
    const tf = (v) => (v === null || v === undefined ? null : logScale ? (num(v) > 0 ? Math.log10(num(v)) : null) : num(v));
    const values = series.flatMap((line) => line.values.map(tf)).filter((v) => v !== null && Number.isFinite(v));
    const steps = series.flatMap((line) => line.steps);
    const lo = values.length ? Math.min(...values) : 0;
    const hi = values.length ? Math.max(...values) : 1;
    const span = hi - lo || 1;
    const x0 = steps.length ? Math.min(...steps) : 0;
    const x1 = steps.length ? Math.max(...steps) : 1;
    const sx = (step) => pad.l + ((step - x0) / Math.max(x1 - x0, 1)) * (width - pad.l - pad.r);
    const sy = (v) => pad.t + (1 - (v - lo) / span) * (height - pad.t - pad.b);
    const chart = s("svg", { class: "gm-line-chart", viewBox: `0 0 ${width} ${height}`, width: "100%", height });
    append(chart, s("line", { x1: pad.l, y1: height - pad.b, x2: width - pad.r, y2: height - pad.b, stroke: "#bbb" }),
      s("text", { x: pad.l - 4, y: pad.t + 8, "text-anchor": "end", class: "gm-axis" }, logScale ? fmt(10 ** hi) : fmt(hi)),
      s("text", { x: pad.l - 4, y: height - pad.b, "text-anchor": "end", class: "gm-axis" }, logScale ? fmt(10 ** lo) : fmt(lo)),
      s("text", { x: pad.l, y: height - 6, class: "gm-axis" }, `step ${x0}`),
      s("text", { x: width - pad.r, y: height - 6, "text-anchor": "end", class: "gm-axis" }, `step ${x1}`));
    for (const step of epochEnds) {
      if (step < x0 || step > x1) continue;
      append(chart, s("line", { x1: sx(step), y1: pad.t, x2: sx(step), y2: height - pad.b, stroke: "#e0e0e0" },
        s("title", {}, `epoch ends at step ${step}`)));
    }
    for (const marker of markers) {
      if (marker.step < x0 || marker.step > x1) continue;
      append(chart, s("g", { class: "gm-marker" }, s("title", {}, `${marker.code} starts at step ${marker.step}`),
        s("line", { x1: sx(marker.step), y1: pad.t, x2: sx(marker.step), y2: height - pad.b, stroke: "#d62728", "stroke-dasharray": "3 3" }),
        s("text", { x: sx(marker.step) + 3, y: pad.t + 10, fill: "#d62728", class: "gm-marker-label" }, marker.code)));
    }
    for (const line of series) {
      const parts = [];
      let penDown = false; // a missing value (NaN, not measured) breaks the line
      line.values.forEach((value, i) => {
        const v = i < line.steps.length ? tf(value) : null;
        if (v === null || !Number.isFinite(v)) { penDown = false; return; }
        parts.push(`${penDown ? "L" : "M"}${sx(line.steps[i]).toFixed(1)},${sy(v).toFixed(1)}`);
        penDown = true;
      });
      if (parts.length === 1) parts.push(parts[0].replace("M", "L"));
      append(chart, s("path", { d: parts.join(" ") || "M0,0", fill: "none", stroke: line.color, "stroke-width": 1.5,
        "stroke-linecap": "round" }, s("title", {}, line.name)));
    }
    return chart;
  }

  // -- wiring --------------------------------------------------------------------------

  function drawAll() {
    drawHeader();
    tabs();
    drawBody();
  }
  const onFindings = () => { tabs(); if (ui.tab === "findings") drawBody(); };
  const onGraph = () => { if (ui.tab === "graph") drawBody(); };
  const onTraining = () => { ui.live = null; if (ui.tab === "training") drawBody(); };
  const onHeader = () => { drawHeader(); if (ui.tab === "training") drawBody(); };
  const onCustom = (msg) => {
    if (!msg || msg.kind !== "training_points") return;
    ui.live = applyLivePoints(ui.live, msg);
    if (ui.tab === "training") drawBody();
  };
  model.on("change:header", onHeader);
  model.on("change:findings", onFindings);
  model.on("change:graph", onGraph);
  model.on("change:training", onTraining);
  model.on("msg:custom", onCustom);
  drawAll();
  return () => {
    model.off("change:header", onHeader);
    model.off("change:findings", onFindings);
    model.off("change:graph", onGraph);
    model.off("change:training", onTraining);
    model.off("msg:custom", onCustom);
    ui.graphBox = null;
  };
}

export default { render };
