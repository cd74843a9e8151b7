// Small DOM helpers for the page: elements built from data, never from HTML strings.

export function $(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page has no #${id}`);
  return e;
}

type Child = Node | string | number;

/** An element with attributes and children (strings become text nodes). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(typeof c === 'number' ? String(c) : c);
  return e;
}

/** A table with a caption, a header row and body rows; cells whose value is a string starting with a letter align left. */
export function table(caption: string, head: string[], rows: Child[][]): HTMLTableElement {
  const left = (c: Child) => typeof c === 'string' && /^[A-Za-z(]/.test(c);
  return h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...head.map((t, i) => h('th', { scope: 'col', class: i === 0 ? 'l' : '' }, t)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', left(c) ? { class: 'l' } : {}, c))))));
}

export const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
export const us = (ns: number) => `${(ns / 1000).toFixed(1)} µs`;

/** Replace `parent`'s content. */
export function show(parent: HTMLElement, ...children: Node[]): void {
  parent.replaceChildren(...children);
}
