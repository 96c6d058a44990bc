// A few lines instead of a framework: elements are built with h(), text always goes in as text
// nodes (never innerHTML), and no element gets a style attribute, so the content security policy
// needs neither 'unsafe-inline' nor a nonce.

export type Child = Node | string | number | null | undefined | false;
type Handler = (event: Event) => void;
export type Attrs = Record<string, string | number | boolean | null | undefined | Handler>;

/** An element with attributes (`false`/`null`/`undefined` leave one out), `on*` listeners and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === false || value === null || value === undefined) continue;
    if (typeof value === 'function') el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(parent: Node, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `parent`. */
export function replace(parent: Element, ...children: (Child | Child[])[]): void {
  parent.replaceChildren();
  append(parent, children);
}

export const byId = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing`);
  return el as T;
};

/** Moves focus to `el` (made focusable by script if it is not) without scrolling it away. */
export function focus(el: HTMLElement | null): void {
  if (!el) return;
  if (!el.hasAttribute('tabindex') && el.tabIndex < 0) el.setAttribute('tabindex', '-1');
  el.focus();
}

let shownUntil = 0;

/** Announces `text` in the page's polite live region, which shows it for a few seconds. */
export function announce(text: string): void {
  const status = byId('status');
  status.textContent = '';
  // A change after a tick is announced even when the text repeats.
  setTimeout(() => {
    status.textContent = text;
    shownUntil = Date.now() + 7_000;
    setTimeout(() => {
      if (Date.now() >= shownUntil) status.textContent = '';
    }, 7_100);
  }, 30);
}
