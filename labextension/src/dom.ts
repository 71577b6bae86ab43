/**
 * A tiny element builder. Text only ever reaches the page through
 * `textContent`: every string from a record (layer names, messages, source)
 * is user data.
 */
export type Child = Node | string | number | null | undefined | false;

export function h(
  tag: string,
  attrs: Record<string, string> = {},
  ...children: (Child | Child[])[]
): HTMLElement {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    node.setAttribute(name, value);
  }
  const flat: Child[] = [];
  for (const child of children) {
    if (Array.isArray(child)) {
      flat.push(...child);
    } else {
      flat.push(child);
    }
  }
  for (const child of flat) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    node.appendChild(
      child instanceof Node ? child : document.createTextNode(String(child))
    );
  }
  return node;
}
