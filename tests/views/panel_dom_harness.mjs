// Runs functions of the panel's bundle (gradmagic/views/static/panel.bundle.mjs) under Node with a
// minimal stand-in for the DOM, and prints their results as JSON: elements as
// {tag, ns, attrs, children} trees, text as strings, other values as they are.
//
//   node panel_dom_harness.mjs BUNDLE CALLS_JSON
//
// CALLS_JSON: [{"fn": "renderMarkdown", "args": [...]}, ...]. Besides the bundle's exports, `placeLabels`
// takes [markers, [x0, x1], {left, right}] (a linear step -> x map from x0..x1 to left..right).
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

class FakeNode {
  constructor(type) {
    this.nodeType = type;
    this.childNodes = [];
    this.parentNode = null;
  }
  appendChild(child) {
    if (child.parentNode) child.parentNode.removeChild(child);
    child.parentNode = this;
    this.childNodes.push(child);
    return child;
  }
  removeChild(child) {
    const at = this.childNodes.indexOf(child);
    if (at >= 0) this.childNodes.splice(at, 1);
    child.parentNode = null;
    return child;
  }
  get firstChild() {
    return this.childNodes[0] || null;
  }
  get textContent() {
    return this.childNodes.map(child => child.textContent).join('');
  }
  set textContent(value) {
    this.childNodes = [];
    if (value) this.appendChild(new FakeText(String(value)));
  }
}

class FakeText extends FakeNode {
  constructor(data) {
    super(3);
    this.data = data;
  }
  get textContent() {
    return this.data;
  }
}

class FakeElement extends FakeNode {
  constructor(tag, ns) {
    super(1);
    this.tagName = tag;
    this.namespaceURI = ns;
    this.attributes = new Map();
    this.listeners = {};
    this.style = {};
  }
  setAttribute(name, value) {
    this.attributes.set(name, String(value));
  }
  getAttribute(name) {
    return this.attributes.has(name) ? this.attributes.get(name) : null;
  }
  removeAttribute(name) {
    this.attributes.delete(name);
  }
  addEventListener(type, listener) {
    (this.listeners[type] ||= []).push(listener);
  }
  dispatch(type) {
    for (const listener of this.listeners[type] || []) listener({ type, target: this });
  }
  get childElementCount() {
    return this.childNodes.filter(child => child.nodeType === 1).length;
  }
}

globalThis.Node = FakeNode;
globalThis.document = {
  body: { dataset: {} },
  createElement: tag => new FakeElement(tag, 'html'),
  createElementNS: (ns, tag) => new FakeElement(tag, ns),
  createTextNode: text => new FakeText(text)
};

function serialise(node) {
  if (node.nodeType === 3) return node.data;
  const out = { tag: node.tagName, attrs: Object.fromEntries(node.attributes), children: node.childNodes.map(serialise) };
  if (node.namespaceURI !== 'html') out.ns = 'svg';
  return out;
}

function plain(value) {
  if (value instanceof FakeNode) return serialise(value);
  if (value instanceof Set) return [...value];
  if (value instanceof Map) return Object.fromEntries(value);
  return value;
}

const panel = await import(pathToFileURL(process.argv[2]).href);
const calls = JSON.parse(readFileSync(process.argv[3], 'utf8'));
const wrappers = {
  placeLabels: (markers, [x0, x1], bounds) =>
    panel.placeLabels(markers, step => bounds.left + ((step - x0) / Math.max(x1 - x0, 1)) * (bounds.right - bounds.left), bounds),
  // a finding card (no patching here) with its "learn more" opened, as a reader would
  openedCard: (card, findings) => {
    const model = { get: () => ({}), set() {}, save_changes() {}, on() {}, off() {} };
    const root = new FakeElement('div', 'html');
    const element = panel.findingCard(card, findings || [card], { model, uid: 'test', root, showInGraph() {} });
    const open = node => {
      if (node.tagName === 'details') {
        node.open = true;
        node.dispatch('toggle');
      }
      node.childNodes.filter(child => child.nodeType === 1).forEach(open);
    };
    open(element);
    return element;
  }
};
const results = [];
for (const call of calls) {
  const fn = wrappers[call.fn] || panel[call.fn];
  if (typeof fn !== 'function') throw new Error(`the bundle exports no function ${call.fn}`);
  results.push(plain(await fn(...(call.args || []))));
}
console.log(JSON.stringify(results));
