// Numeric table cells: the text, the value behind it in data-value (what the styles and the tests read), and a
// flash when it moves.

// Quotes flash to catch the eye; marks move several times a second, so theirs is lighter and shorter.
const FLASHES = {
  quote: { alpha: '0.30', duration: 600 },
  mark: { alpha: '0.14', duration: 450 },
};

export function flash(cell, up, strength = 'quote') {
  const { alpha, duration } = FLASHES[strength];
  cell.classList.remove('tick-up', 'tick-down');
  cell.classList.add(up ? 'tick-up' : 'tick-down');
  if (typeof cell.animate !== 'function') return;
  cell.animate(
    [{ backgroundColor: up ? `rgba(34, 197, 94, ${alpha})` : `rgba(244, 63, 94, ${alpha})` }, { backgroundColor: 'rgba(0, 0, 0, 0)' }],
    { duration, easing: 'ease-out' });
}

/** Sets a numeric cell of `row` (its `cells`, and in `shown` what they show); flashes it green or red when the
 *  value moved. */
export function setNumber(row, field, value, text, options = {}) {
  const cell = row.cells[field];
  const before = row.shown[field];
  if (before && before.text === text && before.value === value) return;
  cell.textContent = text;
  cell.dataset.value = value == null ? '' : String(value);
  cell.classList.toggle('missing', value == null);
  if (options.title !== undefined) cell.title = options.title;
  if (options.flash !== false && before && before.value != null && value != null && value !== before.value) {
    flash(cell, value > before.value);
  }
  row.shown[field] = { text, value };
}

// Within 0.004 of zero a figure reads 0.00 (money or percent): neither green nor red.
const signOf = (value) => value == null || !Number.isFinite(value) ? '' : value > 0.004 ? 'up' : value < -0.004 ? 'down' : 'flat';

/** A P&L cell, coloured by its sign. */
export function setSigned(cell, value, text, title) {
  if (cell.textContent !== text) cell.textContent = text;
  cell.dataset.value = value == null ? '' : String(value);
  cell.dataset.sign = signOf(value);
  cell.classList.toggle('missing', value == null);
  if (title !== undefined && cell.title !== title) cell.title = title;
}
