/**
 * A tiny element builder, shared by the labextension and the diagnosis panel
 * (labextension/src/panel, bundled into the Python package). Text only ever
 * reaches the page through text nodes: every string from a record or a widget
 * payload (layer names, messages, source) is user data. No helper here parses
 * HTML.
 */
export type Child = Node | string | number | null | undefined | false;
export type Children = Child | Children[];

/**
 * Attribute values: a string or number is set as is, `true` as an empty
 * attribute, `null`/`undefined`/`false` leave the attribute out, and a
 * function under a name starting with `on` becomes an event listener.
 */
export type AttrValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | ((event: any) => void);
export type Attrs = Record<string, AttrValue>;

export const SVG_NS = 'http://www.w3.org/2000/svg';

/** Append children (nested arrays flattened; null, undefined and false skipped). */
export function append<T extends Node>(node: T, ...children: Children[]): T {
  for (const child of children) {
    if (Array.isArray(child)) {
      append(node, ...child);
    } else if (child !== null && child !== undefined && child !== false) {
      node.appendChild(
        child instanceof Node ? child : document.createTextNode(String(child))
      );
    }
  }
  return node;
}

function setAttributes(node: Element, attrs: Attrs): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (typeof value === 'function') {
      if (!name.startsWith('on')) {
        throw new Error(`a listener must be given as on<event>, not ${name}`);
      }
      node.addEventListener(name.slice(2), value);
    } else {
      node.setAttribute(name, value === true ? '' : String(value));
    }
  }
}

/** An HTML element with attributes and children. */
export function h(tag: string, attrs: Attrs = {}, ...children: Children[]): HTMLElement {
  const node = document.createElement(tag);
  setAttributes(node, attrs);
  return append(node, ...children);
}

/** An SVG element with attributes and children. */
export function s(tag: string, attrs: Attrs = {}, ...children: Children[]): SVGElement {
  const node = document.createElementNS(SVG_NS, tag) as SVGElement;
  setAttributes(node, attrs);
  return append(node, ...children);
}

/** Remove every child of `node`. */
export function clear<T extends Node>(node: T): T {
  while (node.firstChild) {
    node.removeChild(node.firstChild);
  }
  return node;
}
