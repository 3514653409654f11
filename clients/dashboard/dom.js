// Finding and making the page's elements; index.html holds the layout and the row templates.

export const $ = (id) => document.getElementById(id);

/** The cells under `root` by their data-field, the names the hub's messages use. */
export function fields(root) {
  const cells = {};
  for (const td of root.querySelectorAll('[data-field]')) cells[td.dataset.field] = td;
  return cells;
}

/** A label in a cell: a quote's source, a broker, or a mark such as delayed or stale. `kind` is what the tests
 *  look for (data-badge). */
export function badge(cls, text, { kind, title } = {}) {
  const b = document.createElement('span');
  b.className = `badge ${cls}`;
  b.textContent = text;
  if (kind) b.dataset.badge = kind;
  if (title) b.title = title;
  return b;
}
