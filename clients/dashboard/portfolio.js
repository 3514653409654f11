// The positions panel: the `pnl` channel for the table, its broker tabs and totals, live; the HTTP API for the
// summary, the allocation and the history, polled. Totals are in USD; a position's own values in its currency.
import { api, poll } from './api.js';
import { flash, setNumber, setSigned } from './cells.js';
import { hubNow } from './connection.js';
import { allocationBar, pnlHistoryChart } from './charts.js';
import { $, badge, fields } from './dom.js';
import { DASH, fixed, formatAge, formatDateTime, formatMoney, formatPercent, formatPrice, formatQuantity, upTo4 } from './format.js';
import { ACCOUNT_LIMITS, POSITION_LIMITS, everySecond, freshness } from './freshness.js';
import { providerName } from './providers.js';

const PORTFOLIO_REFRESH_MS = 4000;
const HISTORY_REFRESH_MS = 20000;
const TAB_KEY = 'tickhub.positionsTab';
const BROKER_NAMES = {
  ibkr: 'IBKR', tastytrade: 'tastytrade', schwab: 'Schwab', fidelity: 'Fidelity', etrade: 'E*TRADE',
  robinhood: 'Robinhood', alpaca: 'Alpaca', coinbase: 'Coinbase', kraken: 'Kraken', manual: 'Manual',
};
const SEC_TYPES = { STK: 'Stock', OPT: 'Option', FUT: 'Future', CASH: 'FX', CRYPTO: 'Crypto', IND: 'Index' };
const PALETTE = ['#60a5fa', '#34d399', '#f59e0b', '#a78bfa', '#f472b6', '#22d3ee', '#facc15', '#fb7185', '#4ade80', '#c084fc'];
const BROKER_COLORS = { ibkr: '#f87171', tastytrade: '#fb923c' };
/** Brokers with a badge of their own; the rest share one. */
const BROKER_BADGES = { ibkr: 'src-ibkr', tastytrade: 'broker-tastytrade' };
/** A synced broker's state (`/api/brokers`' `sync`) as the positions panel says it. */
const SYNC_STATES = { connecting: 'connecting', syncing: 'syncing', live: 'synced, live', error: 'sync error', off: 'sync off' };

const pel = {
  section: $('portfolio'), tabs: $('broker-tabs'), live: $('pnl-live'), summary: $('pnl-summary'),
  table: $('positions'), rows: $('position-rows'), total: $('pnl-total'), empty: $('positions-empty'),
  template: $('position-template'), allocation: $('allocation'), history: $('pnl-history'), sync: $('broker-sync'),
};

const brokerName = (broker) => BROKER_NAMES[broker] || broker;
const brokerBadge = (broker) => BROKER_BADGES[broker] || 'broker-other';
/** A position the hub lists but cannot value (a future): no mark, no P&L, a reason instead. */
const isUnvalued = (p) => p.valued === false;
const positionKey = (p) => `${p.broker}:${p.account}:${p.symbol}`;

/** A valued position in the ib_async vocabulary whichever the hub speaks: hubs are moving from `mark`,
 *  `averageCost` and `securityType` to `marketPrice`, `avgCost` and `secType`, and the page reads both. */
function valued(p) {
  return {
    ...p,
    marketPrice: p.marketPrice !== undefined ? p.marketPrice : p.mark,
    avgCost: p.avgCost !== undefined ? p.avgCost : p.averageCost,
    secType: p.secType !== undefined ? p.secType : p.securityType,
  };
}

/** When the quote behind a position's mark was made, in ms; null when the hub does not say. */
const quoteTime = (p) => (Number.isFinite(p.quoteTimestamp) ? p.quoteTimestamp : null);

function loadTab() {
  try { return localStorage.getItem(TAB_KEY) || 'all'; } catch (_) { return 'all'; }
}

let pnl = null;                      // the latest `pnl` message
let pnlLive = false;                 // it came over an open stream (not what was left when it closed)
let selectedBroker = loadTab();
let knownBrokers = new Set(['ibkr']); // from /api/brokers; IBKR always has its tab
let brokerSync = new Map();           // broker → its `sync` from /api/brokers (synced brokers only)
/** key → { key, position, el, cells, shown, note, markText, markBadge } */
const positionRows = new Map();

// ----- Tabs

function brokersInView() {
  const set = new Set(knownBrokers);
  if (pnl) {
    for (const p of pnl.positions || []) set.add(p.broker);
    for (const b of Object.keys(pnl.byBroker || {})) set.add(b);
  }
  set.delete('ibkr');
  return ['ibkr', ...[...set].sort()];
}

function renderTabs() {
  const brokers = brokersInView();
  if (selectedBroker !== 'all' && !brokers.includes(selectedBroker)) selectedBroker = 'all';
  const wanted = ['all', ...brokers];
  const existing = [...pel.tabs.children].map((b) => b.dataset.brokerTab);
  if (existing.join('\n') !== wanted.join('\n')) {
    pel.tabs.replaceChildren(...wanted.map((broker) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'tab';
      button.setAttribute('role', 'tab');
      button.dataset.brokerTab = broker;
      button.setAttribute('aria-controls', 'positions');
      const label = document.createElement('span');
      label.textContent = broker === 'all' ? 'All' : brokerName(broker);
      const count = document.createElement('span');
      count.className = 'tab-count';
      button.append(label, count);
      button.addEventListener('click', () => selectBroker(broker));
      button.addEventListener('keydown', onTabKey);
      return button;
    }));
  }
  const positions = (pnl && pnl.positions) || [];
  for (const button of pel.tabs.children) {
    const broker = button.dataset.brokerTab;
    const selected = broker === selectedBroker;
    button.setAttribute('aria-selected', String(selected));
    button.tabIndex = selected ? 0 : -1;
    const n = broker === 'all' ? positions.length : positions.filter((p) => p.broker === broker).length;
    const count = button.querySelector('.tab-count');
    const text = pnl ? String(n) : '';
    if (count.textContent !== text) count.textContent = text;
    const sync = brokerSync.get(broker);
    if (sync) button.dataset.sync = sync.state; else delete button.dataset.sync;
    button.title = broker === 'all' ? 'Every broker together: the combined totals' : sync ? syncText(broker, sync) : '';
  }
}

function onTabKey(event) {
  const buttons = [...pel.tabs.children];
  const i = buttons.indexOf(event.currentTarget);
  let next = null;
  if (event.key === 'ArrowRight') next = buttons[(i + 1) % buttons.length];
  else if (event.key === 'ArrowLeft') next = buttons[(i - 1 + buttons.length) % buttons.length];
  else if (event.key === 'Home') next = buttons[0];
  else if (event.key === 'End') next = buttons[buttons.length - 1];
  if (!next) return;
  event.preventDefault();
  selectBroker(next.dataset.brokerTab);
  next.focus();
}

function selectBroker(broker) {
  selectedBroker = broker;
  try { localStorage.setItem(TAB_KEY, broker); } catch (_) { /* private mode */ }
  renderPositions();
}

// ----- The table

function createPositionRow(p) {
  const tr = pel.template.content.firstElementChild.cloneNode(true);
  const key = positionKey(p);
  tr.dataset.position = key;
  tr.dataset.broker = p.broker;
  const cells = fields(tr);
  cells.broker.appendChild(badge(brokerBadge(p.broker), brokerName(p.broker), { kind: `broker-${p.broker}` }));
  cells.account.textContent = p.account;
  tr.querySelector('.sym').textContent = p.symbol;
  const markText = document.createElement('span');
  markText.className = 'mark-value';
  cells.marketPrice.appendChild(markText);
  // The broker's own mark and close, under Tickhub's, for a broker that gives them.
  const brokerMark = document.createElement('div');
  brokerMark.className = 'broker-figure';
  brokerMark.dataset.field = 'brokerMarketPrice';
  brokerMark.hidden = true;
  cells.marketPrice.appendChild(brokerMark);
  const row = { key, el: tr, cells, shown: {}, note: tr.querySelector('.note'), markText, markBadge: null, brokerMark };
  positionRows.set(key, row);
  return row;
}

/** A row the hub cannot value: what the broker holds, and why there is no price. */
function renderUnvaluedRow(row, p) {
  const tr = row.el;
  tr.dataset.valued = 'false';
  tr.dataset.stale = String(!pnlLive);
  tr.dataset.side = p.quantity < 0 ? 'short' : 'long';
  const parts = [SEC_TYPES[p.secType] || p.secType];
  if (p.multiplier && p.multiplier !== 1) parts.push(`×${upTo4.format(p.multiplier)}`);
  if (p.currency && p.currency !== 'USD') parts.push(p.currency);
  const note = parts.filter(Boolean).join(' · ');
  if (row.note.textContent !== note) row.note.textContent = note;
  setNumber(row, 'quantity', p.quantity, formatQuantity(p.quantity), { flash: false });
  row.cells.quantity.dataset.sign = p.quantity < 0 ? 'down' : '';
  setNumber(row, 'avgCost', p.avgCost, p.avgCost == null ? DASH : upTo4.format(p.avgCost), { flash: false });
  const cell = row.cells.marketPrice;
  row.markText.textContent = '';
  cell.dataset.value = '';
  cell.classList.add('missing');
  if (!row.markBadge) {
    row.markBadge = badge('unvalued', 'not valued', { kind: 'unvalued' });
    cell.prepend(row.markBadge);
  }
  const reason = p.unvaluedReason || 'the hub cannot value it';
  row.markBadge.title = reason;
  cell.title = `Not valued: ${reason}. Listed as ${brokerName(p.broker)} reports it; left out of every total.`;
  let why = row.el.querySelector('.unvalued-reason');
  if (!why) {
    why = document.createElement('div');
    why.className = 'unvalued-reason';
    why.dataset.field = 'unvaluedReason';
    row.note.after(why);
  }
  if (why.textContent !== reason) why.textContent = reason;
  for (const field of ['marketValue', 'unrealizedPnl', 'dailyPnl', 'unrealizedPercent', 'brokerUnrealizedPnl']) {
    setSigned(row.cells[field], null, DASH, 'not valued');
  }
}

/** A synced broker's rows say when its sync is not live: they are the last it reported, perhaps out of date. */
function renderRowSync(row, p) {
  const sync = brokerSync.get(p.broker);
  const state = sync && sync.state !== 'live' ? sync.state : '';
  if ((row.el.dataset.brokerSync || '') === state) return;
  row.el.dataset.brokerSync = state;
  row.cells.broker.title = state ? `${brokerName(p.broker)}'s sync: ${SYNC_STATES[state] || state}; these are the positions it last reported` : '';
}

function renderPositionRow(row, p) {
  renderRowSync(row, p);
  if (isUnvalued(p)) { renderUnvaluedRow(row, p); return; }
  const tr = row.el;
  tr.dataset.valued = 'true';
  const stale = !!p.stale || !pnlLive;
  tr.dataset.stale = String(stale);
  tr.dataset.side = p.quantity < 0 ? 'short' : 'long';

  const parts = [SEC_TYPES[p.secType] || p.secType];
  if (p.multiplier && p.multiplier !== 1) parts.push(`×${upTo4.format(p.multiplier)}`);
  if (p.currency && p.currency !== 'USD') parts.push(p.currency);
  // An option's delta, and its exposure in shares of the underlying.
  if (Number.isFinite(p.delta)) {
    parts.push(`Δ ${fixed(2).format(p.delta)}` + (Number.isFinite(p.deltaExposure) ? ` (${formatQuantity(Math.round(p.deltaExposure))} sh)` : ''));
  }
  const note = parts.filter(Boolean).join(' · ');
  if (row.note.textContent !== note) row.note.textContent = note;

  setNumber(row, 'quantity', p.quantity, formatQuantity(p.quantity), { flash: false });
  row.cells.quantity.dataset.sign = p.quantity < 0 ? 'down' : '';
  const cost = p.costPerUnit != null ? p.costPerUnit : p.avgCost;
  setNumber(row, 'avgCost', cost, formatPrice(p.symbol, cost), {
    flash: false,
    title: p.costPerUnit != null && p.avgCost !== p.costPerUnit
      ? `${brokerName(p.broker)} reports ${formatPrice(p.symbol, p.avgCost)} per contract (×${upTo4.format(p.multiplier)})` : '',
  });

  // The mark: its value, how it was found, how old its quote is, and a stale mark when it is not live.
  const mark = p.marketPrice;
  const cell = row.cells.marketPrice;
  const markLabel = formatPrice(p.symbol, mark);
  if (row.markText.textContent !== markLabel) {
    const before = row.shown.mark;
    row.markText.textContent = markLabel;
    if (!stale && before != null && mark != null && mark !== before) flash(cell, mark > before, 'mark');
  }
  row.shown.mark = mark;
  cell.dataset.value = mark == null ? '' : String(mark);
  cell.dataset.method = p.markMethod || '';
  cell.classList.toggle('missing', mark == null);
  cell.classList.toggle('mid', p.markMethod === 'midpoint');
  const methods = { last: 'last trade', midpoint: 'bid/ask midpoint', lastKnown: 'last known price' };
  const quotedAt = quoteTime(p);
  tr.dataset.quoteTimestamp = quotedAt == null ? '' : String(quotedAt);
  cell.title = mark == null ? 'no price yet'
    : `${methods[p.markMethod] || 'mark'}${p.quoteSource ? ` from ${providerName(p.quoteSource)}` : ''}` +
      (quotedAt != null ? ` · quoted ${formatDateTime(quotedAt)}` : '') +
      (stale ? ' · stale: not live' : '');
  if (stale && !row.markBadge) {
    row.markBadge = badge('mark-stale', 'stale', { kind: 'stale' });
    cell.prepend(row.markBadge);
  } else if (!stale && row.markBadge) {
    row.markBadge.remove();
    row.markBadge = null;
  }

  renderBrokerMark(row, p);

  setNumber(row, 'marketValue', p.marketValue, formatMoney(p.marketValue), { flash: false });
  setSigned(row.cells.unrealizedPnl, p.unrealizedPnl, formatMoney(p.unrealizedPnl, { signed: true }));
  setSigned(row.cells.dailyPnl, p.dailyPnl, formatMoney(p.dailyPnl, { signed: true }));
  setSigned(row.cells.unrealizedPercent, p.unrealizedPercent, formatPercent(p.unrealizedPercent));

  // The broker's own figure beside Tickhub's (IBKR's, tastytrade's from its mark); the difference in the tooltip.
  const theirs = p.brokerUnrealizedPnl;
  let title = '';
  if (theirs != null && p.unrealizedPnl != null) {
    title = `${brokerName(p.broker)}'s own unrealized P&L; Tickhub − ${brokerName(p.broker)} = ${formatMoney(p.unrealizedPnl - theirs, { signed: true })}` +
      ' (the broker revalues less often)';
  } else if (theirs != null) {
    title = `${brokerName(p.broker)}'s own unrealized P&L`;
  } else if (p.broker === 'ibkr') {
    title = 'IBKR has not reported its figure yet';
  }
  setSigned(row.cells.brokerUnrealizedPnl, theirs, theirs == null ? (p.broker === 'ibkr' ? DASH : '') : formatMoney(theirs, { signed: true }), title);
}

/** The broker's mark and close under Tickhub's mark, when it gives them; never used in a sum. */
function renderBrokerMark(row, p) {
  const el = row.brokerMark;
  const mark = p.brokerMarketPrice, close = p.brokerClosePrice;
  const has = mark != null || close != null;
  el.hidden = !has;
  el.dataset.value = mark == null ? '' : String(mark);
  el.dataset.close = close == null ? '' : String(close);
  if (!has) { if (el.textContent) el.textContent = ''; return; }
  const parts = [];
  if (mark != null) parts.push(`${brokerName(p.broker)} ${formatPrice(p.symbol, mark)}`);
  if (close != null) parts.push(`close ${formatPrice(p.symbol, close)}`);
  const text = parts.join(' · ');
  if (el.textContent !== text) el.textContent = text;
  const diff = mark != null && p.marketPrice != null ? ` · Tickhub − ${brokerName(p.broker)} = ${formatPrice(p.symbol, p.marketPrice - mark)}` : '';
  el.title = `${brokerName(p.broker)}'s own figures: its mark${close != null ? ' and the close it measures the day from' : ''}${diff}`;
}

function sortPositions(list) {
  const rank = (b) => (b === 'ibkr' ? '0' : '1') + b;
  return list.slice().sort((a, b) =>
    rank(a.broker).localeCompare(rank(b.broker)) || a.account.localeCompare(b.account) || a.symbol.localeCompare(b.symbol));
}

function renderPositions() {
  renderTabs();
  pel.table.dataset.broker = selectedBroker;
  const all = sortPositions((pnl && pnl.positions) || []);
  const keys = new Set(all.map(positionKey));
  for (const [key, row] of positionRows) {
    if (!keys.has(key)) { row.el.remove(); positionRows.delete(key); }
  }
  const shown = all.filter((p) => selectedBroker === 'all' || p.broker === selectedBroker);
  const els = [];
  for (const p of all) {
    const row = positionRows.get(positionKey(p)) || createPositionRow(p);
    renderPositionRow(row, p);
  }
  for (const p of shown) els.push(positionRows.get(positionKey(p)).el);
  const current = [...pel.rows.children];
  if (current.length !== els.length || current.some((e, i) => e !== els[i])) pel.rows.replaceChildren(...els);

  // The brokers' column only where there is something to compare.
  pel.table.classList.toggle('has-broker-pnl', shown.some((p) => p.broker === 'ibkr' || p.brokerUnrealizedPnl != null));

  shownPositions = shown.filter((p) => !isUnvalued(p));
  renderSync();
  renderFreshness();

  pel.empty.hidden = shown.length > 0 || !pnl;
  pel.empty.textContent = selectedBroker === 'all'
    ? 'No positions. Add one with POST /api/positions, or import a CSV (POST /api/positions/import).'
    : `No ${brokerName(selectedBroker)} positions.`;
  renderTotals(shown);
}

function renderTotals(shown) {
  const cells = fields(pel.total);
  const t = !pnl ? null : selectedBroker === 'all' ? pnl.totals : (pnl.byBroker || {})[selectedBroker] || {
    positions: 0, marketValue: 0, unrealizedPnl: 0, dailyPnl: 0, unvalued: 0, stale: 0,
  };
  pel.total.dataset.broker = selectedBroker;
  const label = pel.total.querySelector('.total-label');
  const brokersShown = [...new Set(shown.map((p) => p.broker))];
  label.textContent = selectedBroker !== 'all' ? `${brokerName(selectedBroker)} total`
    : brokersShown.length > 1 ? 'Combined total' : 'Total';
  if (!t) {
    for (const td of Object.values(cells)) td.textContent = td.dataset.field === 'positions' ? '' : DASH;
    return;
  }
  const notes = [`${t.positions} position${t.positions === 1 ? '' : 's'}`, 'USD'];
  if (t.unvalued) notes.push(`${t.unvalued} not valued`);
  if (t.stale) notes.push(`${t.stale} stale`);
  cells.positions.textContent = notes.join(' · ');
  cells.positions.dataset.value = String(t.positions);
  cells.marketValue.textContent = formatMoney(t.marketValue);
  cells.marketValue.dataset.value = String(t.marketValue);
  setSigned(cells.unrealizedPnl, t.unrealizedPnl, formatMoney(t.unrealizedPnl, { signed: true }));
  setSigned(cells.dailyPnl, t.dailyPnl, formatMoney(t.dailyPnl, { signed: true }));
  // The combined view says what it adds up.
  const byBroker = pnl.byBroker || {};
  pel.total.title = selectedBroker === 'all' && brokersShown.length > 1
    ? brokersShown.sort().map((b) => `${brokerName(b)}: ${formatMoney((byBroker[b] || {}).unrealizedPnl, { signed: true })} unrealized`).join(' + ')
    : '';

  // Percent over the cost basis of what was valued, in USD.
  let basis = 0;
  for (const p of shown) {
    if (p.usdRate == null || p.unrealizedPnl == null) continue;
    basis += Math.abs((p.costPerUnit != null ? p.costPerUnit : p.avgCost) * p.quantity * (p.multiplier || 1) * p.usdRate);
  }
  const pct = basis > 0 ? t.unrealizedPnl / basis * 100 : null;
  setSigned(cells.unrealizedPercent, pct, formatPercent(pct));

  // The brokers' own sum, when every valued position in view has its broker's figure.
  const valuedShown = shown.filter((p) => !isUnvalued(p));
  const comparable = valuedShown.length > 0 && valuedShown.every((p) => p.brokerUnrealizedPnl != null && p.usdRate != null);
  const theirs = comparable ? valuedShown.reduce((sum, p) => sum + p.brokerUnrealizedPnl * p.usdRate, 0) : null;
  const whose = brokersShown.length === 1 ? brokerName(brokersShown[0]) : 'the brokers';
  const possessive = whose.endsWith('s') ? `${whose}'` : `${whose}'s`;
  setSigned(cells.brokerUnrealizedPnl, theirs, theirs == null ? '' : formatMoney(theirs, { signed: true }),
    theirs == null ? '' : `${possessive} own total; Tickhub − ${whose} = ${formatMoney(t.unrealizedPnl - theirs, { signed: true })}`);
}

// ----- Synced brokers: where each one's sync stands

function syncText(broker, s) {
  let text = `${brokerName(broker)}: ${SYNC_STATES[s.state] || s.state}`;
  if (s.accounts && s.accounts.length) text += ` · ${s.accounts.length} account${s.accounts.length === 1 ? '' : 's'}`;
  if (Number.isFinite(s.lastSyncAt)) text += ` · synced ${formatAge(Math.max(0, hubNow() - s.lastSyncAt))} ago`;
  return text;
}

/** One line per synced broker in view: its state, and in an error what to do; positions shown while a sync is not
 *  live may be out of date, which the line says. */
function renderSync() {
  const el = pel.sync;
  if (!el) return;
  const brokers = [...brokerSync.keys()].filter((b) => selectedBroker === 'all' || b === selectedBroker).sort();
  const items = brokers.map((broker) => {
    const s = brokerSync.get(broker);
    const item = el.querySelector(`[data-sync-broker="${CSS.escape(broker)}"]`) || document.createElement('span');
    item.className = 'sync-state';
    item.dataset.syncBroker = broker;
    item.dataset.state = s.state;
    let text = syncText(broker, s);
    if (s.state !== 'live' && s.detail) text += ` · ${s.detail}`;
    else if (s.state !== 'live' && s.state !== 'off') text += ' · positions may be out of date';
    if (item.textContent !== text) item.textContent = text;
    item.title = s.detail || '';
    return item;
  });
  const current = [...el.children];
  if (current.length !== items.length || current.some((e, i) => e !== items[i])) el.replaceChildren(...items);
  el.hidden = items.length === 0;
}

// ----- The header: how old the positions' figures are

let shownPositions = [];

/** The newest quote behind the positions in view (ms), from their own stamps, or from the message's `quoteT`
 *  (µs) for a hub that does not stamp positions. */
function newestQuote() {
  const times = shownPositions.map(quoteTime).filter((t) => t != null);
  if (times.length) return Math.max(...times);
  return pnl && Number.isFinite(pnl.quoteT) ? Math.floor(pnl.quoteT / 1000) : null;
}

function renderFreshness() {
  const el = pel.live;
  if (!pnl) {
    el.dataset.state = 'waiting';
    el.removeAttribute('data-age-ms');
    if (el.textContent !== 'waiting for the hub…') el.textContent = 'waiting for the hub…';
    pel.section.dataset.live = 'false';
    return;
  }
  const quotedAt = newestQuote();
  // Never below zero: a quote is not from the future, only the clock estimate is off by up to half a round trip.
  const ageMs = quotedAt == null ? null : Math.max(0, hubNow() - quotedAt);
  const staleCount = shownPositions.filter((p) => p.stale).length;
  // Only from a hub that marks each valued position's session (`marketOpen`); without it, age alone judges.
  const marketsClosed = shownPositions.length > 0 && shownPositions.every((p) => p.marketOpen === false);
  const state = freshness({ ageMs, flaggedStale: staleCount > 0, streamLive: pnlLive, marketsClosed }, POSITION_LIMITS);
  const age = ageMs == null ? 'no quote yet' : `last quote ${formatAge(ageMs)} ago`;
  let text;
  if (state === 'live') text = `Live · ${age}`;
  else if (state === 'closed') text = `Markets closed · ${age}`;
  else if (!pnlLive) text = `Offline · ${age}`;
  else if (staleCount) text = `Stale · ${staleCount} of ${shownPositions.length} not live · ${age}`;
  else text = `Stale · ${age}`;
  el.dataset.state = state;
  el.dataset.ageMs = ageMs == null ? '' : String(Math.round(ageMs));
  if (el.textContent !== text) el.textContent = text;
  el.title = quotedAt == null ? '' : `newest quote behind these figures: ${formatDateTime(quotedAt)}`;
  pel.section.dataset.live = String(state === 'live');
  // The summary's P&L cards are these positions' totals: as fresh as they are.
  for (const field of ['marketValue', 'unrealizedPnl', 'dailyPnl']) {
    pel.summary.querySelector(`dd[data-field="${field}"]`).closest('.card').dataset.freshness = state;
  }
}

export function onPnl(message) {
  pnl = { ...message, positions: (message.positions || []).map(valued) };
  pnlLive = true;
  renderPositions();
  // The summary's P&L figures are these totals; keep them as live as the table.
  if (message.totals) renderSummary({ ...lastSummary, ...pickTotals(message.totals) });
}

/** The stream closed: what is shown is the last known state, not live. */
export function pnlOffline() {
  if (!pnlLive) return;
  pnlLive = false;
  renderPositions();
}

// ----- Summary

let lastSummary = {};
const pickTotals = (t) => ({ marketValue: t.marketValue, unrealizedPnl: t.unrealizedPnl, dailyPnl: t.dailyPnl, positions: t.positions });

/** Net liquidation and cash come from the broker's account updates, not from quotes: each shows when it was
 *  last updated (`…UpdatedAt`, ms), or that the hub does not say. */
const ACCOUNT_FIELDS = { netLiquidation: 'netLiquidationUpdatedAt', cash: 'cashUpdatedAt' };

function renderAccountAges() {
  for (const [field, stamp] of Object.entries(ACCOUNT_FIELDS)) {
    const el = pel.summary.querySelector(`[data-asof="${field}"]`);
    const at = lastSummary[stamp];
    let state, text, title;
    delete el.dataset.ageMs;
    if (lastSummary[field] == null) {
      state = 'none'; text = ''; title = '';
    } else if (!Number.isFinite(at)) {
      state = 'unknown'; text = 'update time unknown';
      title = 'the hub does not say when the broker last reported this';
    } else {
      const ageMs = Math.max(0, hubNow() - at);
      state = freshness({ ageMs }, ACCOUNT_LIMITS);
      text = `updated ${formatAge(ageMs)} ago`;
      title = `reported by the broker ${formatDateTime(at)}`;
      el.dataset.ageMs = String(Math.round(ageMs));
    }
    el.dataset.state = state;
    if (el.textContent !== text) el.textContent = text;
    el.title = title;
  }
}

function renderSummary(s) {
  lastSummary = s;
  renderAccountAges();
  for (const dd of pel.summary.querySelectorAll('dd[data-field]')) {
    const field = dd.dataset.field;
    const value = s[field];
    if (field === 'positions') {
      const text = value == null ? DASH : String(value);
      if (dd.textContent !== text) dd.textContent = text;
      dd.title = s.stale ? `${s.stale} stale` : '';
      continue;
    }
    const pnlField = field === 'unrealizedPnl' || field === 'dailyPnl';
    setSigned(dd, value, formatMoney(value, { signed: pnlField }));
    if (!pnlField) dd.dataset.sign = '';
  }
}

async function refreshSummary() {
  const s = await api('GET', 'api/portfolio/summary');
  // Net liquidation and cash come from here only; the rest follows the stream while it is live.
  renderSummary(pnlLive && pnl && pnl.totals ? { ...s, ...pickTotals(pnl.totals) } : s);
}

async function refreshBrokers() {
  const body = await api('GET', 'api/brokers');
  const names = new Set(['ibkr', ...(body.brokers || []).map((b) => b.name)]);
  const changed = names.size !== knownBrokers.size || [...names].some((n) => !knownBrokers.has(n));
  knownBrokers = names;
  brokerSync = new Map((body.brokers || []).filter((b) => b.sync).map((b) => [b.name, b.sync]));
  renderPositions();
}

// ----- Allocation: a bar per symbol and per broker

function colorFor(group, name, index) {
  if (group === 'broker' && BROKER_COLORS[name]) return BROKER_COLORS[name];
  return PALETTE[index % PALETTE.length];
}

function renderAllocationGroup(container, group, shares) {
  const entries = Object.entries(shares || {}).filter(([, v]) => Number.isFinite(v)).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const items = entries.map(([name, share], i) => {
    const item = document.createElement('div');
    item.className = 'alloc-row';
    item.dataset.allocation = `${group}:${name}`;
    item.dataset.share = String(share);
    const label = document.createElement('span');
    label.className = 'alloc-label';
    label.textContent = group === 'broker' ? brokerName(name) : name;
    label.title = name;
    const svg = allocationBar(share, colorFor(group, name, i));
    const pct = document.createElement('span');
    pct.className = 'alloc-pct';
    pct.textContent = `${fixed(1).format(share * 100)}%`;
    item.append(label, svg, pct);
    return item;
  });
  container.replaceChildren(...items);
  return entries.length;
}

async function refreshAllocation() {
  const body = await api('GET', 'api/portfolio/allocation');
  const n = renderAllocationGroup(pel.allocation.querySelector('[data-group="symbol"]'), 'symbol', body.bySymbol);
  renderAllocationGroup(pel.allocation.querySelector('[data-group="broker"]'), 'broker', body.byBroker);
  pel.allocation.dataset.state = n ? 'ready' : 'empty';
  pel.allocation.querySelector('.alloc-groups').hidden = !n;
  pel.allocation.querySelector('.chart-empty').hidden = !!n;
}

// ----- P&L history

function renderHistory(snapshots) {
  const plot = pel.history.querySelector('.history-plot');
  const empty = pel.history.querySelector('.chart-empty');
  const points = (snapshots || []).filter((s) => Number.isFinite(s.takenAt) && Number.isFinite(s.unrealizedPnl))
    .sort((a, b) => a.takenAt - b.takenAt);
  pel.history.dataset.points = String(points.length);
  const sub = pel.history.querySelector('.chart-sub');
  const subText = points.length ? `total, last 24 h · ${points.length} snapshot${points.length === 1 ? '' : 's'}` : 'total, last 24 h';
  if (sub.textContent !== subText) sub.textContent = subText;
  if (points.length === 0) {
    pel.history.dataset.state = 'empty';
    plot.replaceChildren();
    plot.hidden = true;
    empty.hidden = false;
    return;
  }
  pel.history.dataset.state = 'ready';
  plot.hidden = false;
  empty.hidden = true;
  plot.replaceChildren(pnlHistoryChart(points));
}

async function refreshHistory() {
  const body = await api('GET', 'api/portfolio/history?scope=total');
  renderHistory(body.snapshots);
}

function refreshPortfolio() {
  // Each on its own: one failing (an old hub without the portfolio API) leaves the others.
  refreshSummary().catch(() => {});
  refreshBrokers().catch(() => {});
  refreshAllocation().catch(() => {});
}

export function startPortfolio() {
  renderPositions();
  everySecond(renderFreshness);
  everySecond(renderAccountAges);
  renderHistory([]);
  refreshPortfolio();
  refreshHistory().catch(() => {});
  poll(refreshPortfolio, PORTFOLIO_REFRESH_MS);
  poll(() => refreshHistory().catch(() => {}), HISTORY_REFRESH_MS);
}

/** A copy of the latest `pnl` message, or null. */
export const latestPnl = () => (pnl ? JSON.parse(JSON.stringify(pnl)) : null);
export const positionsTab = () => selectedBroker;
