/**
 * The Gradient flow tab: the model's layers laid out by dagre (vendored),
 * repeated blocks grouped and collapsible, cuts drawn on their edges, layers
 * that turned NaN/Inf while training marked, and a bar chart of mean/max
 * |gradient| per layer. Pan with the pointer, zoom with the wheel.
 */
import { append, clear, h, s } from '../dom';
import { fmt, truncate } from './format';
import type { ICutMark, IGraph, IGraphGroup, IGraphNode, INonfiniteMark } from './types';
import dagre from './vendor/dagre.esm.js';

export const NODE_W = 168;
export const NODE_H = 30;
export const DEFAULT_LIMIT = 40;

// -- grouping (pure) ----------------------------------------------------------------------

export interface IViewNode {
  key: string;
  kind: 'layer' | 'group';
  id: string;
  item: IGraphNode | IGraphGroup;
  parent: string | null;
  cut: ICutMark | null;
}

export interface IViewEdge {
  source: string;
  target: string;
  cut: ICutMark | null;
  inferred: boolean;
}

export interface IViewCluster {
  key: string;
  id: string;
  group: IGraphGroup;
  parent: string | null;
}

export interface IView {
  nodes: IViewNode[];
  edges: IViewEdge[];
  clusters: IViewCluster[];
  /** Layer id -> the key of what stands for it on screen. */
  rep: Map<string, string>;
}

type GraphLike = Pick<IGraph, 'nodes' | 'edges'> & { groups?: IGraphGroup[] };

export function groupIndex(graph: GraphLike): {
  groups: Map<string, IGraphGroup>;
  ancestors: (groupId: string | null | undefined) => string[];
} {
  const groups = new Map((graph.groups || []).map(g => [g.id, g] as [string, IGraphGroup]));
  const ancestors = (groupId: string | null | undefined): string[] => {
    const chain: string[] = [];
    let current = groupId;
    while (current !== null && current !== undefined && groups.has(current) && !chain.includes(current)) {
      chain.push(current);
      current = groups.get(current)!.parent;
    }
    return chain; // innermost first
  };
  return { groups, ancestors };
}

/**
 * What is on screen for a set of collapsed groups: layers, collapsed groups
 * (as one node), expanded groups (as clusters) and the edges between visible
 * items.
 */
export function visibleGraph(graph: GraphLike, collapsed: Set<string>): IView {
  const { groups, ancestors } = groupIndex(graph);
  const rep = new Map<string, string>();
  const clusters = new Map<string, IViewCluster>();
  const nodes: IViewNode[] = [];
  const byKeyNode = new Map<string, IViewNode>();
  for (const node of graph.nodes) {
    const chain = ancestors(node.group);
    let outer: string | null = null;
    for (const g of chain) {
      if (collapsed.has(g)) {
        outer = g;
      }
    }
    const id = outer === null ? 'L:' + node.id : 'G:' + outer;
    rep.set(node.id, id);
    if (byKeyNode.has(id)) {
      continue;
    }
    const around = outer === null ? chain : ancestors(groups.get(outer)!.parent);
    around.forEach((g, i) => {
      if (!clusters.has(g)) {
        clusters.set(g, { key: 'C:' + g, id: g, group: groups.get(g)!, parent: around[i + 1] ?? null });
      }
    });
    const parent = around.length ? around[0] : null;
    const entry: IViewNode = outer === null
      ? { key: id, kind: 'layer', id: node.id, item: node, parent, cut: node.cut || null }
      : { key: id, kind: 'group', id: outer, item: groups.get(outer)!, parent, cut: null };
    byKeyNode.set(id, entry);
    nodes.push(entry);
  }
  const edges: IViewEdge[] = [];
  const byKey = new Map<string, IViewEdge>();
  for (const edge of graph.edges) {
    const source = rep.get(edge.source);
    const target = rep.get(edge.target);
    if (!source || !target) {
      continue;
    }
    if (source === target) {
      // a cut inside a collapsed group is drawn on the group itself
      const inside = byKeyNode.get(source);
      if (edge.cut && inside && !inside.cut) {
        inside.cut = edge.cut;
      }
      continue;
    }
    const key = source + '\u0000' + target;
    let entry = byKey.get(key);
    if (!entry) {
      entry = { source, target, cut: null, inferred: Boolean(edge.inferred) };
      byKey.set(key, entry);
      edges.push(entry);
    }
    if (edge.cut && !entry.cut) {
      entry.cut = edge.cut;
    }
  }
  return { nodes, edges, clusters: [...clusters.values()], rep };
}

/** Collapse blocks, then stages, then nested models until at most `limit` items show. */
export function initialCollapsed(graph: GraphLike, limit = DEFAULT_LIMIT): Set<string> {
  const collapsed = new Set<string>();
  for (const kinds of [['block', 'range'], ['stage'], ['model']]) {
    if (visibleGraph(graph, collapsed).nodes.length <= limit) {
      break;
    }
    for (const g of graph.groups || []) {
      if (kinds.includes(g.kind)) {
        collapsed.add(g.id);
      }
    }
  }
  return collapsed;
}

export interface IPlace {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ILayout {
  nodes: Map<string, IPlace>;
  clusters: Map<string, IPlace>;
  edges: (IViewEdge & { points: { x: number; y: number }[] })[];
  width: number;
  height: number;
}

/** Positions for a view, top to bottom (dagre). */
export function layoutGraph(view: IView): ILayout {
  const g = new dagre.graphlib.Graph({ compound: true, multigraph: false });
  g.setGraph({ rankdir: 'TB', nodesep: 18, ranksep: 34, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const c of view.clusters) {
    g.setNode(c.key, { paddingTop: 22 });
  }
  for (const c of view.clusters) {
    if (c.parent !== null) {
      g.setParent(c.key, 'C:' + c.parent);
    }
  }
  for (const n of view.nodes) {
    g.setNode(n.key, { width: NODE_W, height: NODE_H });
    if (n.parent !== null) {
      g.setParent(n.key, 'C:' + n.parent);
    }
  }
  for (const e of view.edges) {
    g.setEdge(e.source, e.target, {});
  }
  dagre.layout(g);
  const place = (key: string): IPlace => {
    const d = g.node(key);
    return { x: d.x, y: d.y, width: d.width, height: d.height };
  };
  const info = g.graph();
  return {
    nodes: new Map(view.nodes.map(n => [n.key, place(n.key)] as [string, IPlace])),
    clusters: new Map(view.clusters.map(c => [c.key, place(c.key)] as [string, IPlace])),
    edges: view.edges.map(e => ({ ...e, points: g.edge(e.source, e.target).points })),
    width: info.width || 0,
    height: info.height || 0
  };
}

/** "NaN/Inf from step 3 (GM301)": a layer's or group's mark, as text. */
export function nonfiniteText(mark: INonfiniteMark | undefined): string | null {
  if (!mark) {
    return null;
  }
  return `NaN/Inf while training${mark.step !== null ? ' from step ' + mark.step : ''} (${mark.code})`;
}

function cutText(cut: ICutMark): string {
  return `✂ ${cut.op}${cut.line ? ' · line ' + cut.line : ''}`;
}

export function tooltip(node: IViewNode): string {
  const item = node.item;
  const lines: string[] = [];
  if (node.kind === 'group') {
    const group = item as IGraphGroup;
    lines.push(`${group.label || group.id} (${group.kind}, ${group.size} layers)`);
  } else {
    lines.push(`${item.id} (${(item as IGraphNode).class})`);
  }
  lines.push(`state: ${item.state}`);
  const mark = nonfiniteText(item.nonfinite);
  if (mark) {
    lines.push(mark + '; the numbers below are from the probe batch before training');
  }
  const layer = item as IGraphNode;
  if (layer.shape) {
    lines.push(`output: ${layer.shape}`);
  }
  if (layer.params) {
    lines.push(`params: ${layer.params}`);
  }
  const facts: [string, unknown][] = [['‖g‖', item.norm], ['mean |g|', layer.mean], ['max |g|', item.max], ['loss', layer.loss]];
  for (const [label, value] of facts) {
    if (value !== undefined && value !== null) {
      lines.push(`${label}: ${fmt(value)}`);
    }
  }
  if (layer.line) {
    lines.push(`line ${layer.line}`);
  }
  if (node.kind === 'group') {
    lines.push('click to expand');
  }
  return lines.join('\n');
}

// -- the tab ------------------------------------------------------------------------------

interface IZoom {
  k: number;
  x: number;
  y: number;
}

interface IBox {
  svg: SVGSVGElement;
  canvas: HTMLElement;
  bars: HTMLElement;
  info: HTMLElement;
  count: HTMLElement;
}

/** The graph tab's state (kept while the panel lives) and its drawing. */
export class GraphView {
  constructor(private readonly uid: string) {}

  collapsed: Set<string> = new Set();
  selected: string | null = null;
  pendingFocus: string | null = null;
  private graphKey: string | null = null;
  private search = '';
  private matchIndex = -1;
  private zoom: IZoom | null = null;
  private layout: ILayout | null = null;
  private view: IView | null = null;
  private box: IBox | null = null;

  /** Forget the drawn elements (the panel was removed or shows another tab). */
  detach(): void {
    this.box = null;
  }

  /** Show `layer` when the tab is drawn next. */
  focus(layer: string): void {
    this.selected = layer;
    this.pendingFocus = layer;
  }

  private current(graph: IGraph): IGraph {
    const key = JSON.stringify([graph.model, graph.fit, (graph.nodes || []).length]);
    if (this.graphKey !== key) {
      this.graphKey = key;
      this.collapsed = graph.nodes ? initialCollapsed(graph) : new Set();
      this.zoom = null;
    }
    return graph;
  }

  private expandTo(graph: IGraph, layer: string): void {
    const { ancestors } = groupIndex(graph);
    const node = graph.nodes.find(n => n.id === layer);
    if (node) {
      for (const g of ancestors(node.group)) {
        this.collapsed.delete(g);
      }
    }
  }

  private matches(graph: IGraph): string[] {
    const query = this.search.trim().toLowerCase();
    if (!query) {
      return [];
    }
    return graph.nodes.filter(n => n.id !== '__loss__' && n.id.toLowerCase().includes(query)).map(n => n.id);
  }

  /** Draw the tab into `body`. */
  draw(body: HTMLElement, payload: IGraph | Record<string, never>): void {
    if (!('nodes' in payload) || !payload.nodes) {
      append(body, h('div', { class: 'gm-empty' }, 'no model was captured, so there is no gradient-flow graph'));
      return;
    }
    const graph = this.current(payload as IGraph);
    const found = this.matches(graph);
    const search = h('input', {
      class: 'gm-search', type: 'search', placeholder: 'search layer name', value: this.search,
      'aria-label': 'search layer name'
    }) as HTMLInputElement;
    const count = h('span', { class: 'gm-muted' }, this.search ? `${found.length} match(es)` : '');
    search.addEventListener('input', () => {
      this.search = search.value;
      this.matchIndex = -1;
      const next = this.matches(graph);
      count.textContent = this.search ? `${next.length} match(es)` : '';
      this.highlight(next);
      this.drawBars(graph, next);
    });
    search.addEventListener('keydown', event => {
      if (event.key !== 'Enter') {
        return;
      }
      const list = this.matches(graph);
      if (!list.length) {
        return;
      }
      this.matchIndex = (this.matchIndex + 1) % list.length;
      this.focus(list[this.matchIndex]);
      this.expandTo(graph, list[this.matchIndex]);
      this.redraw(graph);
    });
    const button = (label: string, title: string, action: () => void) =>
      h('button', { class: 'gm-button gm-small', title, onclick: action }, label);
    const grouped = (graph.groups || []).length > 0;
    const toolbar = h('div', { class: 'gm-toolbar' }, search, count,
      button('fit', 'fit the graph in view', () => { this.zoom = null; this.applyZoom(); }),
      button('+', 'zoom in', () => this.zoomBy(1.25)),
      button('−', 'zoom out', () => this.zoomBy(0.8)),
      grouped ? button('expand all', 'show every layer', () => { this.collapsed = new Set(); this.zoom = null; this.redraw(graph); }) : null,
      grouped ? button('collapse', 'group repeated blocks', () => { this.collapsed = initialCollapsed(graph, 0); this.zoom = null; this.redraw(graph); }) : null);
    const svg = s('svg', { class: 'gm-graph-svg', role: 'img', 'aria-label': 'gradient flow graph' }) as SVGSVGElement;
    const canvas = h('div', { class: 'gm-canvas' }, svg);
    const bars = h('div', { class: 'gm-bars' });
    const info = h('div', { class: 'gm-info' });
    this.box = { svg, canvas, bars, info, count };
    append(body, [toolbar, h('div', { class: 'gm-graph-row' }, canvas, bars), this.legendBox(graph), info]);
    this.enablePanZoom(svg);
    this.redraw(graph);
    this.drawBars(graph, found);
    this.drawInfo(graph);
  }

  private highlight(found: string[]): void {
    const box = this.box;
    const view = this.view;
    if (!box || !view) {
      return;
    }
    const wanted = new Set(found.map(id => view.rep.get(id)));
    const selected = this.selected ? view.rep.get(this.selected) : null;
    for (const node of box.svg.querySelectorAll('.gm-node')) {
      const key = (node.classList.contains('gm-node-group') ? 'G:' : 'L:') + node.getAttribute('data-id');
      node.classList.toggle('gm-match', wanted.has(key));
      node.classList.toggle('gm-selected', key === selected);
    }
  }

  private drawInfo(graph: IGraph): void {
    const box = this.box;
    if (!box) {
      return;
    }
    clear(box.info);
    const node = graph.nodes.find(n => n.id === this.selected);
    if (!node) {
      append(box.info, h('span', { class: 'gm-muted' },
        'hover a layer for its numbers, click it for details; click a grouped block to open it; drag to pan, wheel to zoom'));
      return;
    }
    const facts: [string, unknown][] = [['layer', node.id], ['class', node.class], ['state', node.state],
      ['training', nonfiniteText(node.nonfinite)], ['output', node.shape], ['params', node.params],
      ['‖g‖', node.norm], ['mean |g|', node.mean], ['max |g|', node.max], ['line', node.line],
      ['findings', (node.codes || []).join(', ')]];
    append(box.info, h('table', { class: 'gm-evidence' }, facts
      .filter(([, v]) => v !== undefined && v !== null && v !== '')
      .map(([k, v]) => h('tr', {}, h('td', {}, k), h('td', {}, fmt(v))))));
  }

  private legendBox(graph: IGraph): HTMLElement {
    const legend = graph.legend || { scale: null, states: [], cut: '#d62728' };
    const box = h('div', { class: 'gm-legend' });
    if (legend.scale) {
      const stops = legend.scale.stops;
      const bar = s('svg', { width: 10 * stops.length, height: 12 },
        stops.map((color, i) => s('rect', { x: i * 10, y: 0, width: 10, height: 12, fill: color })));
      append(box, h('span', { class: 'gm-legend-item' }, `‖g‖ ${fmt(legend.scale.min)} `, bar, ` ${fmt(legend.scale.max)} (log)`));
    } else {
      append(box, h('span', { class: 'gm-legend-item gm-muted' }, 'no gradient norms were measured'));
    }
    for (const entry of legend.states || []) {
      append(box, h('span', { class: 'gm-legend-item' },
        s('svg', { width: 14, height: 12 }, s('rect', {
          x: 1, y: 1, width: 12, height: 10, fill: entry.fill, stroke: entry.stroke,
          'stroke-dasharray': entry.dash || null
        })), ' ' + entry.label));
    }
    append(box, h('span', { class: 'gm-legend-item' },
      s('svg', { width: 22, height: 12 }, s('line', { x1: 0, y1: 6, x2: 22, y2: 6, stroke: legend.cut, 'stroke-width': 2.5, 'stroke-dasharray': '6 3' })),
      ' gradient cut'));
    return box;
  }

  private drawBars(graph: IGraph, found: string[]): void {
    const box = this.box;
    if (!box) {
      return;
    }
    clear(box.bars);
    const only = found.length ? new Set(found) : null;
    const rows = graph.nodes.filter(n => (n.params || 0) > 0 && n.state !== 'passive' && (!only || only.has(n.id)));
    const positive = (v: unknown): v is number => typeof v === 'number' && v > 0;
    const values = rows.flatMap(n => [n.mean, n.max]).filter(positive);
    append(box.bars, h('div', { class: 'gm-bars-title' }, 'mean / max |gradient| per layer'));
    if (!rows.length) {
      append(box.bars, h('div', { class: 'gm-muted' }, only ? 'no matching layer has weights' : 'no layer with weights'));
      return;
    }
    const lo = values.length ? Math.log10(Math.min(...values)) : 0;
    const hi = values.length ? Math.log10(Math.max(...values)) : 1;
    const span = Math.max(hi - lo, 1e-9);
    const rowH = 16;
    const labelW = 120;
    const barW = 120;
    const pos = (v: number) => 4 + ((Math.log10(v) - lo) / span) * (barW - 8);
    const chart = s('svg', { width: labelW + barW + 8, height: rows.length * rowH + 4, class: 'gm-bar-chart' });
    rows.forEach((n, i) => {
      const y = i * rowH + 2;
      const row = s('g', {
        class: 'gm-bar-row' + (n.nonfinite ? ' gm-bar-nonfinite' : ''),
        onclick: () => { this.focus(n.id); this.expandTo(graph, n.id); this.redraw(graph); }
      },
      s('title', {}, `${n.id}: mean |g| ${fmt(n.mean)}, max |g| ${fmt(n.max)} (${n.state})` +
        (n.nonfinite ? '; ' + nonfiniteText(n.nonfinite) : '')),
      s('text', { x: labelW - 4, y: y + 11, 'text-anchor': 'end' }, truncate(n.id, 18)));
      if (n.nonfinite) {
        append(row, s('text', { x: labelW + 4, y: y + 11, fill: n.style.stroke, class: 'gm-bar-state' },
          `NaN/Inf from step ${n.nonfinite.step ?? '?'}`));
      } else if (positive(n.max)) {
        append(row, s('rect', { x: labelW, y: y + 2, width: pos(n.max), height: 11, fill: '#9ecae1' }));
        if (positive(n.mean)) {
          append(row, s('rect', { x: labelW, y: y + 5, width: pos(n.mean), height: 5, fill: '#08519c' }));
        }
      } else {
        append(row, s('text', { x: labelW + 4, y: y + 11, fill: (n.style || {}).stroke || '#666', class: 'gm-bar-state' },
          n.state === 'none' ? 'no gradient' : n.state));
      }
      chart.appendChild(row);
    });
    append(box.bars, h('div', { class: 'gm-bars-scroll' }, chart),
      h('div', { class: 'gm-muted gm-small-text' }, 'log scale; light: max, dark: mean'));
  }

  // -- zoom and pan -----------------------------------------------------------------------

  private applyZoom(): void {
    const box = this.box;
    if (!box || !this.layout) {
      return;
    }
    if (!this.zoom) {
      const width = box.svg.clientWidth || 640;
      const height = box.svg.clientHeight || 440;
      // fit the whole graph, but never so small that labels cannot be read: then start at the top
      const k = Math.max(0.5, Math.min(1.1, width / Math.max(this.layout.width, 1), height / Math.max(this.layout.height, 1)));
      this.zoom = { k, x: Math.max(4, (width - this.layout.width * k) / 2), y: 4 };
    }
    const viewport = box.svg.querySelector('.gm-viewport');
    if (viewport) {
      viewport.setAttribute('transform', `translate(${this.zoom.x},${this.zoom.y}) scale(${this.zoom.k})`);
    }
  }

  private zoomBy(factor: number, cx?: number, cy?: number): void {
    const box = this.box;
    if (!box) {
      return;
    }
    if (!this.zoom) {
      this.applyZoom();
    }
    const z = this.zoom || { k: 1, x: 0, y: 0 };
    const px = cx ?? (box.svg.clientWidth || 640) / 2;
    const py = cy ?? (box.svg.clientHeight || 440) / 2;
    const k = Math.min(8, Math.max(0.02, z.k * factor));
    this.zoom = { k, x: px - ((px - z.x) * k) / z.k, y: py - ((py - z.y) * k) / z.k };
    this.applyZoom();
  }

  private centerOn(place: IPlace | undefined): void {
    const box = this.box;
    if (!box || !place) {
      return;
    }
    const k = Math.max(this.zoom ? this.zoom.k : 1, 0.8);
    this.zoom = { k, x: (box.svg.clientWidth || 640) / 2 - place.x * k, y: (box.svg.clientHeight || 440) / 2 - place.y * k };
    this.applyZoom();
  }

  private enablePanZoom(svg: SVGSVGElement): void {
    let drag: { x: number; y: number; zx: number; zy: number } | null = null;
    svg.addEventListener('wheel', event => {
      event.preventDefault();
      const rect = svg.getBoundingClientRect();
      this.zoomBy(event.deltaY < 0 ? 1.15 : 1 / 1.15, event.clientX - rect.left, event.clientY - rect.top);
    }, { passive: false });
    svg.addEventListener('pointerdown', event => {
      const target = event.target as Element | null;
      if (target && target.closest && target.closest('.gm-node, .gm-cluster-label')) {
        return;
      }
      if (!this.zoom) {
        this.applyZoom();
      }
      const z = this.zoom || { k: 1, x: 0, y: 0 };
      drag = { x: event.clientX, y: event.clientY, zx: z.x, zy: z.y };
      svg.setPointerCapture(event.pointerId);
    });
    svg.addEventListener('pointermove', event => {
      if (!drag || !this.zoom) {
        return;
      }
      this.zoom = { ...this.zoom, x: drag.zx + event.clientX - drag.x, y: drag.zy + event.clientY - drag.y };
      this.applyZoom();
    });
    const stop = () => { drag = null; };
    svg.addEventListener('pointerup', stop);
    svg.addEventListener('pointercancel', stop);
  }

  // -- drawing --------------------------------------------------------------------------------

  private redraw(graph: IGraph): void {
    const box = this.box;
    if (!box) {
      return;
    }
    const view = visibleGraph(graph, this.collapsed);
    let layout: ILayout;
    try {
      layout = layoutGraph(view);
    } catch (error) {
      clear(box.svg);
      append(box.svg, s('text', { x: 10, y: 20 }, 'the graph could not be laid out: ' + String(error)));
      return;
    }
    this.layout = layout;
    this.view = view;
    const svg = box.svg;
    const cutColor = graph.legend ? graph.legend.cut : '#d62728';
    // small graphs get a small canvas; large ones a fixed window to pan and zoom in
    svg.style.height = `${Math.round(Math.min(520, Math.max(180, layout.height + 16)))}px`;
    clear(svg);
    const arrow = this.uid + '-arrow';
    const cutArrow = this.uid + '-cut';
    append(svg, s('defs', {},
      s('marker', { id: arrow, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 8, markerHeight: 8, markerUnits: 'userSpaceOnUse', orient: 'auto' },
        s('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#888' })),
      s('marker', { id: cutArrow, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 10, markerHeight: 10, markerUnits: 'userSpaceOnUse', orient: 'auto' },
        s('path', { d: 'M0,0 L10,5 L0,10 z', fill: cutColor }))));
    const viewport = s('g', { class: 'gm-viewport' });
    svg.appendChild(viewport);
    for (const cluster of view.clusters) {
      const place = layout.clusters.get(cluster.key)!;
      const style = cluster.group.style || {};
      append(viewport, s('g', { class: 'gm-cluster', 'data-id': cluster.id },
        s('rect', {
          x: place.x - place.width / 2, y: place.y - place.height / 2, width: place.width, height: place.height,
          rx: 6, fill: 'none', stroke: style.stroke || '#999', 'stroke-dasharray': '4 3'
        }),
        s('text', {
          x: place.x - place.width / 2 + 6, y: place.y - place.height / 2 + 14, class: 'gm-cluster-label',
          onclick: () => { this.collapsed.add(cluster.id); this.redraw(graph); }
        }, s('title', {}, 'click to collapse'), '▾ ' + truncate(cluster.group.label || cluster.id, 40))));
    }
    for (const edge of layout.edges) {
      const d = edge.points.map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
      const cut = edge.cut;
      viewport.appendChild(s('path', {
        d, class: 'gm-edge' + (cut ? ' gm-edge-cut' : ''), fill: 'none',
        stroke: cut ? cutColor : '#9a9a9a', 'stroke-width': cut ? 2.5 : 1.2,
        'stroke-dasharray': cut ? '6 3' : edge.inferred ? '2 3' : null,
        'marker-end': `url(#${cut ? cutArrow : arrow})`
      }));
      if (cut) {
        const mid = edge.points[Math.floor(edge.points.length / 2)];
        const label = cutText(cut);
        append(viewport, s('g', { class: 'gm-cut-label' },
          s('title', {}, `the gradient stops here: ${cut.op} (${cut.reason})${cut.line ? ' at line ' + cut.line : ''}`),
          s('rect', { x: mid.x + 6, y: mid.y - 10, width: 8 + label.length * 6.4, height: 18, rx: 3, fill: '#fff', stroke: cutColor }),
          s('text', { x: mid.x + 10, y: mid.y + 3, fill: cutColor }, label)));
      }
    }
    for (const node of view.nodes) {
      viewport.appendChild(this.nodeShape(graph, node, layout.nodes.get(node.key)!));
    }
    this.highlight(this.matches(graph));
    if (this.pendingFocus) {
      const key = view.rep.get(this.pendingFocus);
      this.pendingFocus = null;
      if (key) {
        this.centerOn(layout.nodes.get(key));
      }
    } else {
      this.applyZoom();
    }
    this.drawInfo(graph);
  }

  private nodeShape(graph: IGraph, node: IViewNode, place: IPlace): SVGElement {
    const item = node.item;
    const style = item.style || ({} as Partial<IGraphNode['style']>);
    const isGroup = node.kind === 'group';
    const name = (item as IGraphNode).label || (isGroup ? (item as IGraphGroup).label : '') || item.id;
    const label = isGroup ? `▸ ${name} (${(item as IGraphGroup).size})` : name;
    const cut = node.cut;
    const cutColor = graph.legend ? graph.legend.cut : '#d62728';
    const group = s('g', {
      class: 'gm-node' + (isGroup ? ' gm-node-group' : '') + (item.nonfinite ? ' gm-node-nonfinite' : ''),
      'data-id': node.id, 'data-state': item.state,
      transform: `translate(${(place.x - NODE_W / 2).toFixed(1)},${(place.y - NODE_H / 2).toFixed(1)})`,
      onclick: (event: Event) => {
        event.stopPropagation();
        if (isGroup) {
          this.collapsed.delete(node.id);
          this.pendingFocus = null;
          this.redraw(graph);
        } else {
          this.selected = node.id;
          this.drawInfo(graph);
          this.highlight(this.matches(graph));
        }
      }
    }, s('title', {}, tooltip(node)),
    s('rect', {
      width: NODE_W, height: NODE_H, rx: isGroup ? 9 : 4, fill: style.fill || '#f0f0f0',
      stroke: cut ? cutColor : style.stroke || '#999', 'stroke-width': cut || item.nonfinite ? 2.5 : 1.5,
      'stroke-dasharray': style.dash || null
    }),
    s('text', { x: NODE_W / 2, y: NODE_H / 2 + 4, 'text-anchor': 'middle', fill: style.text || '#1a1a1a' }, truncate(label, 26)));
    const codes = (item as IGraphNode).codes || [];
    const above: string[] = [];
    if (item.nonfinite) {
      above.push(`NaN/Inf${item.nonfinite.step !== null ? ' @ step ' + item.nonfinite.step : ''}`);
    }
    if (codes.length) {
      above.push(codes.join(' '));
    }
    if (above.length) {
      append(group, s('text', { x: NODE_W - 4, y: -3, 'text-anchor': 'end', class: 'gm-node-codes' }, above.join(' · ')));
    }
    if (cut) {
      append(group, s('text', { x: 0, y: -3, class: 'gm-node-codes', fill: cutColor }, cutText(cut)));
    }
    return group;
  }
}
