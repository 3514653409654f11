// The watchlist: the symbols this browser follows, kept in localStorage, added and removed from the toolbar and
// the table, and subscribed on the stream.
import { send } from './connection.js';
import { $ } from './dom.js';
import { showMessage } from './message.js';
import { addRow, removeRow, rowElement, showSymbolError, startQuotes } from './quotes.js';
import { normalize, validate } from './symbols.js';

const DEFAULT_WATCHLIST = ['AAPL', 'MSFT', 'EUR.USD', 'BTC'];
const STORAGE_KEY = 'tickhub.watchlist';
const MAX_SYMBOLS = 1000;             // the hub's per-connection limit

const el = { form: $('add-form'), input: $('symbol-input') };

function loadWatchlist() {
  try {
    const stored = JSON.parse(localStorage.getItem(STORAGE_KEY));
    if (Array.isArray(stored)) {
      const seen = new Set();
      return stored.map(normalize).filter((s) => s && !validate(s) && !seen.has(s) && seen.add(s));
    }
  } catch (_) { /* unreadable: start over */ }
  return DEFAULT_WATCHLIST.slice();
}

function saveWatchlist() {
  try { localStorage.setItem(STORAGE_KEY, JSON.stringify(watchlist)); } catch (_) { /* private mode */ }
}

let watchlist = loadWatchlist();

export const symbols = () => watchlist.slice();

function addSymbol(raw) {
  const symbol = normalize(raw);
  const problem = validate(symbol);
  if (problem) {
    el.input.setAttribute('aria-invalid', 'true');
    showMessage(problem, 'error', 'invalid_symbol');
    return false;
  }
  el.input.removeAttribute('aria-invalid');
  const existing = rowElement(symbol);
  if (existing) {
    showMessage(`${symbol} is already on the watchlist.`, 'info');
    existing.scrollIntoView({ block: 'nearest' });
    if (existing.animate) existing.animate([{ backgroundColor: 'rgba(96,165,250,.25)' }, { backgroundColor: 'rgba(0,0,0,0)' }], { duration: 900 });
    return false;
  }
  if (watchlist.length >= MAX_SYMBOLS) {
    showMessage(`At most ${MAX_SYMBOLS} symbols.`, 'error', 'too_many_symbols');
    return false;
  }
  watchlist.push(symbol);
  saveWatchlist();
  addRow(symbol);
  send({ op: 'subscribe', symbols: [symbol] });
  showMessage(`Added ${symbol}.`, 'ok');
  return true;
}

function removeSymbol(symbol, { quiet = false } = {}) {
  if (!removeRow(symbol)) return;
  watchlist = watchlist.filter((s) => s !== symbol);
  saveWatchlist();
  send({ op: 'unsubscribe', symbols: [symbol] });
  if (!quiet) showMessage(`Removed ${symbol}.`, 'info');
}

/** An `error` message from the stream: shown, and on its row too when it is about a symbol. */
export function onServerError(m) {
  const symbol = m.symbol ? normalize(m.symbol) : null;
  if (symbol && showSymbolError(symbol, { code: m.code, message: m.message }) && m.code === 'invalid_symbol') {
    // The hub will never accept it: take it off the list again.
    removeSymbol(symbol, { quiet: true });
  }
  showMessage(m.message || m.code, 'error', m.code || '');
}

export function startWatchlist() {
  el.form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (addSymbol(el.input.value)) el.input.value = '';
    el.input.focus();
  });
  el.input.addEventListener('input', () => el.input.removeAttribute('aria-invalid'));
  startQuotes(watchlist, removeSymbol);
}
