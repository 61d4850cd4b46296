type Attrs = Record<string, string | number | boolean | undefined>;

/**
 * Creates an element with attributes (`false`/`undefined` skipped, `true` as
 * an empty attribute) and children; strings become text nodes, never HTML.
 */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | undefined)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child !== undefined) node.append(child);
  }
  return node;
}

/** The element with this id, or an error naming it (the page's HTML and script disagree). */
export function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`page element #${id} is missing`);
  return node as T;
}
