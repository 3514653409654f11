// Candles from the hub: a series' history over HTTP (`GET api/market-data/bars/{symbol}`), the stream's `bars` and
// `bar` messages read into the same shape, and a series kept in time order as its bars are updated.
import { api } from './api.js';

/** The intervals a chart offers, each with the history it asks for: a day of minutes, five days of five minutes,
 *  three months of hours, a year of days (the spans the hub's stream series hold, so both agree). */
export const INTERVALS = Object.freeze({
  '1m': { range: '1d', ms: 60_000 },
  '5m': { range: '5d', ms: 300_000 },
  '1h': { range: '3mo', ms: 3_600_000 },
  '1d': { range: '1y', ms: 86_400_000 },
});

const finite = (v) => typeof v === 'number' && Number.isFinite(v);

/** `{time, open, high, low, close, volume}` (time in ms, volume null where the market reports none), or null for
 *  anything that is not a bar the page could draw truthfully. */
export function readBar(b) {
  if (!b || typeof b !== 'object') return null;
  const { time, open, high, low, close } = b;
  if (!Number.isInteger(time) || ![open, high, low, close].every(finite)) return null;
  if (low > high || open < low || open > high || close < low || close > high) return null;
  return { time, open, high, low, close, volume: finite(b.volume) ? b.volume : null };
}

/** A series as the hub sends it (HTTP body or `bars` message): its bars read, oldest first, the unreadable left
 *  out and counted. */
export function readSeries(body) {
  const raw = Array.isArray(body && body.bars) ? body.bars : [];
  const bars = [];
  for (const b of raw) {
    const bar = readBar(b);
    if (bar) bars.push(bar);
  }
  bars.sort((a, b) => a.time - b.time);
  return {
    symbol: body && body.symbol,
    interval: body && body.interval,
    source: (body && body.source) || null,
    lastComplete: !!(body && body.lastComplete),
    bars,
    refused: raw.length - bars.length,
  };
}

/** A series' history from the hub; throws the hub's error (api.js) when it has none to give. */
export async function fetchSeries(symbol, interval, range = INTERVALS[interval].range) {
  const query = new URLSearchParams({ interval, range });
  return readSeries(await api('GET', `api/market-data/bars/${encodeURIComponent(symbol)}?${query}`));
}

/** Puts `bar` into `bars` (oldest first, no two with one time): a newer bar is appended, the bar with its time
 *  replaced, an older one that was missing inserted in its place. Says where: 'append', 'last' (the newest bar
 *  replaced), or 'earlier' (anywhere before it, which a chart must draw again rather than update). */
export function mergeBar(bars, bar) {
  const last = bars[bars.length - 1];
  if (!last || bar.time > last.time) { bars.push(bar); return 'append'; }
  if (bar.time === last.time) { bars[bars.length - 1] = bar; return 'last'; }
  let lo = 0, hi = bars.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (bars[mid].time < bar.time) lo = mid + 1; else hi = mid;
  }
  if (bars[lo].time === bar.time) bars[lo] = bar; else bars.splice(lo, 0, bar);
  return 'earlier';
}

/** `later` merged into `earlier` (both oldest first): where both have a time, `later`'s bar is the one kept. */
export function mergeSeries(earlier, later) {
  const merged = earlier.slice();
  for (const bar of later) mergeBar(merged, bar);
  return merged;
}
