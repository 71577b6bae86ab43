/**
 * The gradmagic diagnosis panel: the anywidget ES module of
 * gradmagic/views/widget.py (`DiagnosisPanel`), bundled by
 * labextension/build-panel.mjs into gradmagic/views/static/panel.bundle.mjs.
 *
 * Python sends ready-made payloads (types.ts); this module only draws them.
 * Every user string reaches the DOM through text nodes (dom.ts): no HTML is
 * parsed anywhere, the rules' Markdown included (markdown.ts).
 */
import { append, clear, h } from '../dom';
import { causeGroups, drawFindings } from './findings';
import { GraphView } from './graph';
import { drawHeader } from './header';
import { RestoreBar } from './restore';
import { applyLivePoints, ILive, liveTraining, trainingView } from './training';
import type { IPanelModel } from './types';

export { NO_EXTENSION, diffRows, evidenceRows, fmt, patchUnavailable, toNumber, truncate } from './format';
export { initialCollapsed, layoutGraph, nonfiniteText, visibleGraph } from './graph';
export { causeGroups, findingCard, followedItem, rootCause } from './findings';
export { headerItems } from './header';
export { renderMarkdown, safeHref } from './markdown';
export {
  applyLivePoints,
  chooseScale,
  lineChart,
  liveTraining,
  metricPairs,
  nonfiniteSpans,
  placeLabels,
  trainingView
} from './training';

type Tab = 'findings' | 'graph' | 'training';

const DEFAULT_PALETTE = ['#440154', '#31688e', '#35b779', '#fde725'];

let views = 0;

export function render({ model, el }: { model: IPanelModel; el: HTMLElement }): () => void {
  const uid = 'gm' + Date.now().toString(36) + (views++).toString(36);
  const root = h('div', { class: 'gm-panel' });
  el.appendChild(root);
  const graphView = new GraphView(uid);
  let tab: Tab | null = null;
  // the running fit's points (custom messages), until the `training` state replaces them
  let live: ILive | null = null;

  const headerBox = h('div', { class: 'gm-header' });
  const tabsBox = h('div', { class: 'gm-tabs', role: 'tablist' });
  const body = h('div', { class: 'gm-body' });
  const restore = new RestoreBar(uid);
  append(root, headerBox, restore.node, tabsBox, body);
  const checkRestore = () => restore.check((model.get('header') || { cell_id: null }).cell_id);
  root.addEventListener('pointerenter', checkRestore);

  const findingsContext = {
    model,
    uid,
    root,
    showInGraph: (layer: string) => {
      graphView.focus(layer);
      tab = 'graph';
      drawTabs();
      drawBody();
    }
  };

  function drawTabs(): void {
    const findings = model.get('findings') || [];
    const graph = model.get('graph') || {};
    const causes = causeGroups(findings).length;
    const list: [Tab, string][] = [['findings', `Findings (${causes})`], ['graph', 'Gradient flow'], ['training', 'Training']];
    if (tab === null) {
      tab = findings.length || !('nodes' in graph) ? 'findings' : 'graph';
    }
    clear(tabsBox);
    for (const [id, label] of list) {
      append(tabsBox, h('button', {
        class: 'gm-tab' + (tab === id ? ' gm-active' : ''), role: 'tab', 'aria-selected': tab === id ? 'true' : 'false',
        'data-tab': id,
        onclick: () => { tab = id; drawTabs(); drawBody(); }
      }, label));
    }
  }

  function drawBody(): void {
    clear(body);
    graphView.detach();
    if (tab === 'findings') {
      drawFindings(body, model.get('findings') || [], findingsContext);
    } else if (tab === 'graph') {
      graphView.draw(body, model.get('graph') || {});
    } else {
      const header = model.get('header') || { running: false };
      const training = live ? liveTraining(live) : model.get('training') || liveTraining(null);
      const graph = model.get('graph') || {};
      const scale = 'legend' in graph && graph.legend ? graph.legend.scale : null;
      append(body, trainingView(training, Boolean(header.running), scale ? scale.stops : DEFAULT_PALETTE));
    }
  }

  const header = () => drawHeader(headerBox, model.get('header') || {}, live ? live.fit : null);
  const onFindings = () => { drawTabs(); if (tab === 'findings') { drawBody(); } };
  const onGraph = () => { if (tab === 'graph') { drawBody(); } };
  const onTraining = () => { live = null; if (tab === 'training') { drawBody(); } };
  const onHeader = () => { header(); checkRestore(); if (tab === 'training') { drawBody(); } };
  const onCustom = (msg: unknown) => {
    const next = applyLivePoints(live, msg);
    if (next === live) {
      return;
    }
    const fitChanged = !live || !next || live.fit !== next.fit;
    live = next;
    if (fitChanged) {
      header();
    }
    if (tab === 'training') {
      drawBody();
    }
  };
  model.on('change:header', onHeader);
  model.on('change:findings', onFindings);
  model.on('change:graph', onGraph);
  model.on('change:training', onTraining);
  model.on('msg:custom', onCustom);
  header();
  drawTabs();
  drawBody();
  checkRestore();
  return () => {
    model.off('change:header', onHeader);
    model.off('change:findings', onFindings);
    model.off('change:graph', onGraph);
    model.off('change:training', onTraining);
    model.off('msg:custom', onCustom);
    graphView.detach();
  };
}

export default { render };
