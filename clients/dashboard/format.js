// How the dashboard writes numbers and times: prices by instrument, percentages, volumes, quantities, money,
// clock times and ages.
// Negative numbers get a real minus sign, and a missing value is a dash, everywhere.
import { isForex, isOption } from './symbols.js';

export const DASH = '–';

// Intl.NumberFormat is slow to build and these are asked for on every repaint.
const formats = new Map();
export function fixed(decimals) {
  let f = formats.get(decimals);
  if (!f) {
    f = new Intl.NumberFormat('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
    formats.set(decimals, f);
  }
  return f;
}
export const upTo4 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 4 });

/** FX with 5 decimals (3 for yen pairs), everything else with 2; sub-unit prices get 4. */
export function priceDecimals(symbol, value) {
  if (isForex(symbol)) return symbol.endsWith('.JPY') ? 3 : 5;
  if (!isOption(symbol) && value != null && Math.abs(value) < 1) return 4;
  return 2;
}

export function formatPrice(symbol, value) {
  return value == null ? DASH : fixed(priceDecimals(symbol, value)).format(value);
}

export function formatPercent(value) {
  if (value == null) return DASH;
  const text = fixed(2).format(Math.abs(value));
  return (value > 0 ? '+' : value < 0 ? '−' : '') + text + '%';
}

export function formatVolume(value) {
  if (value == null) return DASH;
  return Number.isInteger(value) || Math.abs(value) >= 1000 ? fixed(0).format(value) : upTo4.format(value);
}

export function formatSize(value) {
  return value == null ? DASH : upTo4.format(value);
}

export function formatQuantity(value) {
  if (value == null) return DASH;
  return (value < 0 ? '−' : '') + upTo4.format(Math.abs(value));
}

/** Money: thousands separators, 2 decimals, a real minus; `signed` adds "+" to gains. */
export function formatMoney(value, { signed = false } = {}) {
  if (value == null || !Number.isFinite(value)) return DASH;
  const rounded = Math.round(value * 100) / 100;
  const text = fixed(2).format(Math.abs(rounded));
  if (rounded < 0) return '−' + text;
  return (signed && rounded > 0 ? '+' : '') + text;
}

/** An axis label; `scale` (the largest level) picks one unit for the whole axis. */
export function compactMoney(v, scale = Math.abs(v)) {
  const a = Math.abs(v);
  const sign = v < -0.5 ? '−' : '';
  if (scale >= 1e6) return `${sign}${upTo4.format(Math.round(a / 1e4) / 100)}M`;
  if (scale >= 2e4) return `${sign}${upTo4.format(Math.round(a / 100) / 10)}k`;
  return `${sign}${fixed(0).format(a)}`;
}

// Times are 24-hour everywhere, whatever the browser's locale: a trader compares them with exchange hours and
// logs, which are 24-hour. `hourCycle: 'h23'` (not `hour12: false`, which some engines turn into 24:05).
const CLOCK = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
const CLOCK_MINUTES = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const DATE_TIME = new Intl.DateTimeFormat('en-GB', {
  year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short',
});

/** HH:MM:SS in the browser's time zone, or HH:MM with `seconds: false`; a dash for no time. */
export function formatTime(ms, { seconds = true } = {}) {
  if (!ms) return DASH;
  return (seconds ? CLOCK : CLOCK_MINUTES).format(new Date(ms));
}

/** The full date and time, for tooltips. */
export function formatDateTime(ms) {
  return ms ? DATE_TIME.format(new Date(ms)) : '';
}

const CANDLE_TIME = new Intl.DateTimeFormat('en-GB', {
  weekday: 'short', day: '2-digit', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});
const CANDLE_DAY = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: '2-digit', month: 'short', year: 'numeric', timeZone: 'UTC' });

/** When a candle starts: the day and 24-hour time here, or for a day's candle its trading date, which the hub
 *  gives as 00:00 UTC of that date (so it is read in UTC, or west of Greenwich it would be the day before). */
export function formatCandleTime(ms, { daily = false } = {}) {
  return ms == null ? DASH : (daily ? CANDLE_DAY : CANDLE_TIME).format(new Date(ms));
}

/** How long ago, in the largest unit that matters: "0.4 s", "12 s", "6 min", "1 h 05 min", "3 d". */
export function formatAge(ms) {
  if (ms == null || !Number.isFinite(ms)) return DASH;
  const age = Math.max(0, ms);
  if (age < 10000) return `${(Math.floor(age / 100) / 10).toFixed(1)} s`;
  if (age < 60000) return `${Math.floor(age / 1000)} s`;
  if (age < 3600000) return `${Math.floor(age / 60000)} min`;
  if (age < 86400000) return `${Math.floor(age / 3600000)} h ${String(Math.floor(age % 3600000 / 60000)).padStart(2, '0')} min`;
  return `${Math.floor(age / 86400000)} d`;
}
