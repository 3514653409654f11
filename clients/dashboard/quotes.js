// The quote table: a row per watchlist symbol with its latest quote, whether its market is open, an option's
// greeks, its source and a sparkline of its day (the hub's 5-minute bars, then the live prices), repainted in
// batches.
import { createSparkline, pushSparkPoint, renderSparkline, seedSparkline } from './charts.js';
import { setNumber } from './cells.js';
import { isOpen } from './connection.js';
import { $, badge, fields } from './dom.js';
import { DASH, fixed, formatDateTime, formatPercent, formatPrice, formatSize, formatTime, formatVolume } from './format.js';
import { staleNote as ibkrStaleNote } from './ibkr.js';
import { sourceBadge } from './providers.js';
import { TREND_MS, requestTrend } from './trends.js';

const RENDER_INTERVAL_MS = 200;       // quotes arrive far faster than anyone reads; repaint at most 5×/s

const el = { rows: $('quote-rows'), empty: $('empty'), template: $('row-template') };

/** symbol → { symbol, el, cells, note, quote, shown, spark, live, error, dirty } */
const rows = new Map();
let removeSymbol = () => {};

function midpoint(q) {
  if (q.bid != null && q.ask != null && q.bid > 0 && q.ask >= q.bid) return (q.bid + q.ask) / 2;
  return null;
}

/** What the sparkline plots and the flash compares: last trade, or the midpoint (FX does not trade). */
function priceOf(q) {
  return q.last != null ? q.last : midpoint(q);
}

// ---------------------------------------------------------------------------------------------
// Rows

function createRow(symbol) {
  const tr = el.template.content.firstElementChild.cloneNode(true);
  tr.dataset.symbol = symbol;
  tr.querySelector('.sym').textContent = symbol;
  const cells = fields(tr);
  const remove = tr.querySelector('.remove');
  remove.dataset.remove = symbol;
  remove.setAttribute('aria-label', `Remove ${symbol}`);
  remove.addEventListener('click', () => removeSymbol(symbol));
  tr.querySelector('.bell').setAttribute('aria-label', `Set a price alert on ${symbol}`);
  const row = {
    symbol, el: tr, cells, note: tr.querySelector('.note'),
    market: tr.querySelector('[data-badge="market"]'), greeks: tr.querySelector('.greeks'),
    quote: null, shown: {}, live: false, error: null, dirty: true,
    spark: createSparkline(cells.trend),
  };
  rows.set(symbol, row);
  requestTrend(symbol, (bars) => {
    seedSparkline(row.spark, bars, TREND_MS);
    row.dirty = true;
    scheduleRender();
  }, () => rows.get(symbol) === row);
  return row;
}

export function addRow(symbol) {
  const row = createRow(symbol);
  el.rows.appendChild(row.el);
  renderRow(row);
  updateEmpty();
  return row;
}

/** False if there was no such row. */
export function removeRow(symbol) {
  const row = rows.get(symbol);
  if (!row) return false;
  rows.delete(symbol);
  row.el.remove();
  updateEmpty();
  return true;
}

export function rowElement(symbol) {
  const row = rows.get(symbol);
  return row ? row.el : null;
}

function updateEmpty() {
  el.empty.hidden = rows.size > 0;
}

/** The rows for the watchlist as loaded; a row's × button calls `onRemove(symbol)`. */
export function startQuotes(symbols, onRemove) {
  removeSymbol = onRemove;
  for (const symbol of symbols) addRow(symbol);
  updateEmpty();
}

// ---------------------------------------------------------------------------------------------
// Rendering, batched

let renderQueued = false;
let lastRender = 0;

function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  const wait = Math.max(0, lastRender + RENDER_INTERVAL_MS - performance.now());
  setTimeout(() => requestAnimationFrame(renderDirty), wait);
}

function renderDirty() {
  renderQueued = false;
  lastRender = performance.now();
  for (const row of rows.values()) {
    if (row.dirty) renderRow(row);
  }
}

/** Every row again: what its note says depends on the stream and on IBKR's state. */
export function renderAll() {
  for (const row of rows.values()) row.dirty = true;
  scheduleRender();
}

function renderRow(row) {
  row.dirty = false;
  const q = row.quote;
  const tr = row.el;
  const stale = !!(q && (q.stale || !row.live));
  tr.dataset.hasQuote = String(!!q);
  tr.dataset.stale = String(stale);
  tr.dataset.delayed = String(!!(q && q.delayed));
  tr.dataset.source = q ? q.source : '';
  if (row.error) tr.dataset.error = row.error.code; else delete tr.dataset.error;

  // The note under the symbol: why there is nothing, or nothing.
  let note = '';
  let noteClass = '';
  if (row.error && !(q && !q.stale && row.live)) {
    note = row.error.message;
    noteClass = 'note-error';
  } else if (!q) {
    note = isOpen() ? 'waiting for the first quote…' : 'waiting for the hub…';
  } else if (stale) {
    const ibkrNote = q.source === 'ibkr' ? ibkrStaleNote() : null;
    if (!row.live) note = 'stale: the hub is out of reach';
    else if (ibkrNote) note = ibkrNote;
    else note = 'stale: the source cannot vouch for it';
    noteClass = 'note-stale';
  }
  if (row.note.textContent !== note) row.note.textContent = note;
  row.note.className = 'note ' + noteClass;
  row.note.title = note;

  if (q) {
    const s = row.symbol;
    setNumber(row, 'bid', q.bid, formatPrice(s, q.bid), { title: `bid size ${formatSize(q.bidSize)}`, flash: !stale });
    setNumber(row, 'ask', q.ask, formatPrice(s, q.ask), { title: `ask size ${formatSize(q.askSize)}`, flash: !stale });
    const mid = q.last == null ? midpoint(q) : null;
    const last = q.last != null ? q.last : mid;
    setNumber(row, 'last', last, formatPrice(s, last), {
      title: mid != null ? 'midpoint: this instrument quotes without trades' : `last size ${formatSize(q.lastSize)}`,
      flash: !stale,
    });
    row.cells.last.classList.toggle('mid', mid != null);
    const pct = q.changePercent;
    setNumber(row, 'changePercent', pct, formatPercent(pct), {
      title: q.change != null ? `change ${q.change > 0 ? '+' : ''}${formatPrice(s, q.change)} vs close ${formatPrice(s, q.close)}` : '',
      flash: false,
    });
    row.cells.changePercent.dataset.sign = pct == null ? '' : pct > 0 ? 'up' : pct < 0 ? 'down' : 'flat';
    setNumber(row, 'volume', q.volume, formatVolume(q.volume), { flash: false });
    renderSource(row, q, stale);
    const time = formatTime(q.timestamp);
    if (row.cells.time.textContent !== time) row.cells.time.textContent = time;
    row.cells.time.title = q.timestamp ? `${formatDateTime(q.timestamp)} · seq ${q.seq}` : '';
  } else {
    for (const field of ['bid', 'ask', 'last', 'changePercent', 'volume']) setNumber(row, field, null, DASH, { flash: false });
    row.cells.source.textContent = '';
    row.cells.time.textContent = DASH;
  }
  renderMarket(row, q);
  renderGreeks(row, q);
  renderSparkline(row.spark, row.symbol);
}

/** Open or closed, from the instrument's regular session as the hub judges it; nothing from a hub that does
 *  not say. */
function renderMarket(row, q) {
  const open = q && typeof q.marketOpen === 'boolean' ? q.marketOpen : null;
  const key = String(open);
  if (row.shown.market === key) return;
  row.shown.market = key;
  row.el.dataset.marketOpen = open == null ? '' : key;
  row.market.hidden = open == null;
  row.market.textContent = open ? 'open' : 'closed';
  row.market.classList.toggle('market-open', open === true);
  row.market.classList.toggle('market-closed', open === false);
  row.market.title = open ? 'the regular session is open'
    : 'outside the regular session: prices may not move until it opens';
}

const greek = (value, decimals) => (Number.isFinite(value) ? (value < 0 ? '−' : '') + fixed(decimals).format(Math.abs(value)) : DASH);

/** An option's delta and implied volatility under its symbol, the other greeks in the tooltip; when the
 *  source has computed them. */
function renderGreeks(row, q) {
  const known = !!q && (Number.isFinite(q.delta) || Number.isFinite(q.impliedVolatility));
  row.greeks.hidden = !known;
  if (!known) return;
  const { delta, impliedVolatility: iv } = row.cells;
  const deltaText = `Δ ${greek(q.delta, 3)}`;
  const ivText = `IV ${Number.isFinite(q.impliedVolatility) ? `${fixed(1).format(q.impliedVolatility * 100)}%` : DASH}`;
  if (delta.textContent !== deltaText) delta.textContent = deltaText;
  if (iv.textContent !== ivText) iv.textContent = ivText;
  delta.dataset.value = Number.isFinite(q.delta) ? String(q.delta) : '';
  iv.dataset.value = Number.isFinite(q.impliedVolatility) ? String(q.impliedVolatility) : '';
  row.greeks.title = `delta ${greek(q.delta, 4)} · gamma ${greek(q.gamma, 4)} · vega ${greek(q.vega, 4)} · ` +
    `theta ${greek(q.theta, 4)} · implied volatility ${ivText.slice(3)}` +
    (Number.isFinite(q.underlyingPrice) ? ` · underlying ${formatPrice(row.symbol.split(' ')[0], q.underlyingPrice)}` : '');
}

function renderSource(row, q, stale) {
  const key = `${q.source}|${q.delayed}|${stale}`;
  if (row.shown.source === key) return;
  row.shown.source = key;
  const cell = row.cells.source;
  cell.textContent = '';
  const [label, cls] = sourceBadge(q.source);
  cell.appendChild(badge(cls, label, { kind: 'source' }));
  if (q.delayed) cell.appendChild(badge('mark-delayed', 'delayed', { kind: 'delayed', title: 'delayed data (typically 15–20 minutes)' }));
  if (stale) cell.appendChild(badge('mark-stale', 'stale', { kind: 'stale', title: 'the last known value; not live' }));
}

// ---------------------------------------------------------------------------------------------
// From the stream

export function onQuote(q) {
  const row = rows.get(q.symbol);
  if (!row) return;   // unsubscribed while it was on its way
  const previous = row.quote;
  // Per-symbol sequence numbers only grow; a snapshot (or a restarted hub) starts a new run.
  if (previous && row.live && !q.snapshot && typeof q.seq === 'number' && q.seq <= previous.seq) return;
  row.quote = q;
  row.live = true;
  if (!q.stale) row.error = null;
  if (!q.stale) pushSparkPoint(row.spark, priceOf(q), Date.now());
  row.dirty = true;
  scheduleRender();
}

/** The hub's error about one symbol, shown on its row until a live quote comes; false if it has no row. */
export function showSymbolError(symbol, error) {
  const row = rows.get(symbol);
  if (!row) return false;
  row.error = error;
  row.dirty = true;
  scheduleRender();
  return true;
}

/** The stream closed: every quote shown is the last known, not live. */
export function quotesOffline() {
  for (const row of rows.values()) { row.live = false; row.dirty = true; }
  scheduleRender();
}

/** The price `symbol` (normalized) is at, as its row shows it (last trade, else midpoint), or null. */
export function latestPrice(symbol) {
  const r = rows.get(symbol);
  return r && r.quote ? priceOf(r.quote) : null;
}

/** A copy of the latest quote for `symbol` (normalized), or null. */
export function latestQuote(symbol) {
  const r = rows.get(symbol);
  return r && r.quote ? { ...r.quote } : null;
}
