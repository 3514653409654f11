// The small charts, drawn as inline SVG by hand: a sparkline per quote row, a bar per allocation share, and the
// P&L history's line chart. They need no library; the candlestick chart (candles.js) is the one that does.
import { compactMoney, formatDateTime, formatMoney, formatPrice, formatTime } from './format.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

function svgEl(name, attrs, text) {
  const e = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text != null) e.textContent = text;
  return e;
}

// ---------------------------------------------------------------------------------------------
// Sparklines: one polyline and its area per row. Until the hub's history of the symbol arrives, the last minute
// the page saw; then the day, one point per bar of that history, the live prices going on from there.

const SPARK_BUCKET_MS = 500;          // one sparkline point per half second…
const SPARK_POINTS = 120;             // …for the last minute
const SPARK_DAY_POINTS = 300;         // a day of 5-minute bars, round the clock (288), and some
const SPARK_W = 120, SPARK_H = 28, SPARK_PAD = 2;

/** A sparkline in `cell`, and the points it will draw: { svg, area, line, dot, points, bucketMs, limit, since,
 *  dirty }; `since` is the time of the history it was seeded with, null until then. */
export function createSparkline(cell) {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('viewBox', `0 0 ${SPARK_W} ${SPARK_H}`);
  svg.setAttribute('width', SPARK_W);
  svg.setAttribute('height', SPARK_H);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('aria-hidden', 'true');
  const area = document.createElementNS(SVG_NS, 'path');
  area.setAttribute('class', 'spark-area');
  const line = document.createElementNS(SVG_NS, 'polyline');
  line.setAttribute('class', 'spark-line');
  const dot = document.createElementNS(SVG_NS, 'circle');
  dot.setAttribute('class', 'spark-dot');
  dot.setAttribute('r', '0');
  svg.append(area, line, dot);
  cell.appendChild(svg);
  return { svg, area, line, dot, points: [], bucketMs: SPARK_BUCKET_MS, limit: SPARK_POINTS, since: null, dirty: true };
}

export function pushSparkPoint(spark, price, now) {
  if (price == null || !Number.isFinite(price)) return;
  const bucket = Math.floor(now / spark.bucketMs);
  const last = spark.points[spark.points.length - 1];
  if (last && last.bucket === bucket) {
    if (last.price === price) return;
    last.price = price;
  } else {
    spark.points.push({ bucket, price });
    if (spark.points.length > spark.limit) spark.points.shift();
  }
  spark.dirty = true;
}

/** The symbol's recent history from the hub, `closes` ({time, close}, oldest first) one per bar of `barMs`: the
 *  sparkline draws those from now on, and the price the page saw last goes on from them. */
export function seedSparkline(spark, closes, barMs) {
  if (!closes.length) return;
  const seen = spark.points[spark.points.length - 1];
  const seenAt = seen ? seen.bucket * spark.bucketMs : null;
  spark.bucketMs = barMs;
  spark.limit = SPARK_DAY_POINTS;
  spark.points = closes.slice(-SPARK_DAY_POINTS).map((b) => ({ bucket: Math.floor(b.time / barMs), price: b.close }));
  spark.since = closes[Math.max(0, closes.length - SPARK_DAY_POINTS)].time;
  // The page's last price is newer than the history unless the history ends after it (a quote the page saw
  // before its bar was asked for): then the history has it already.
  const lastBucket = spark.points[spark.points.length - 1].bucket;
  if (seen && Math.floor(seenAt / barMs) >= lastBucket) pushSparkPoint(spark, seen.price, seenAt);
  spark.dirty = true;
}

/** Draws the points again if they changed; `symbol` formats the low and high in the tooltip. */
export function renderSparkline(spark, symbol) {
  if (!spark.dirty) return;
  spark.dirty = false;
  const { svg, area, line, dot, points } = spark;
  svg.dataset.points = String(points.length);
  svg.dataset.span = spark.since == null ? 'seen' : 'history';
  if (points.length < 2) {
    line.setAttribute('points', '');
    area.setAttribute('d', '');
    dot.setAttribute('r', '0');
    return;
  }
  let min = Infinity, max = -Infinity;
  for (const p of points) { if (p.price < min) min = p.price; if (p.price > max) max = p.price; }
  const span = max - min || Math.abs(max) * 1e-6 || 1;
  // Evenly spaced by sample, filling the width: the shape of the recent past, not a time axis.
  const step = (SPARK_W - 2 * SPARK_PAD) / (points.length - 1);
  const x = (i) => SPARK_PAD + i * step;
  const y = (p) => SPARK_PAD + (SPARK_H - 2 * SPARK_PAD) * (1 - (p.price - min) / span);
  const coords = points.map((p, i) => `${x(i).toFixed(1)},${y(p).toFixed(1)}`);
  line.setAttribute('points', coords.join(' '));
  area.setAttribute('d', `M${x(0).toFixed(1)},${SPARK_H} L${coords.join(' L')} L${x(points.length - 1).toFixed(1)},${SPARK_H} Z`);
  const end = points[points.length - 1];
  dot.setAttribute('r', '2');
  dot.setAttribute('cx', x(points.length - 1).toFixed(1));
  dot.setAttribute('cy', y(end).toFixed(1));
  svg.dataset.direction = end.price > points[0].price ? 'up' : end.price < points[0].price ? 'down' : 'flat';
  const shown = spark.since == null ? `recent ${Math.round(points.length * spark.bucketMs / 1000)} s`
    : `since ${formatDateTime(spark.since)}, ${Math.round(spark.bucketMs / 60000)}-minute closes`;
  svg.parentNode.title = `${shown}: low ${formatPrice(symbol, min)}, high ${formatPrice(symbol, max)}`;
}

// ---------------------------------------------------------------------------------------------
// Allocation: a horizontal bar for a share of 0…1

export function allocationBar(share, color) {
  const svg = svgEl('svg', { class: 'alloc-bar', height: '12', 'aria-hidden': 'true' });
  // A sliver even for a tiny share, so that every row has a bar to see.
  const width = `${Math.min(100, Math.max(0.5, share * 100)).toFixed(2)}%`;
  svg.append(
    svgEl('rect', { class: 'alloc-track', width: '100%', height: '12', rx: '3' }),
    svgEl('rect', { width, height: '12', rx: '3', fill: color }));
  return svg;
}

// ---------------------------------------------------------------------------------------------
// P&L history: unrealized and daily P&L over time, zero always in view

const HIST_W = 640, HIST_H = 200, HIST_L = 74, HIST_R = 12, HIST_T = 12, HIST_B = 26;

/** The chart of `points` (snapshots with a finite takenAt and unrealizedPnl, oldest first; at least one). */
export function pnlHistoryChart(points) {
  const series = [
    { key: 'unrealizedPnl', cls: 'hist-unrealized' },
    { key: 'dailyPnl', cls: 'hist-daily' },
  ];
  let lo = 0, hi = 0;   // zero is always in view
  for (const p of points) for (const s of series) {
    const v = p[s.key];
    if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  }
  const ticks = niceTicks(lo, hi);
  const min = ticks[0], max = ticks[ticks.length - 1];
  const t0 = points[0].takenAt, t1 = points[points.length - 1].takenAt;
  const spanT = t1 - t0 || 1;
  const x = (t) => points.length === 1 ? (HIST_L + HIST_W - HIST_R) / 2 : HIST_L + (t - t0) / spanT * (HIST_W - HIST_L - HIST_R);
  const y = (v) => HIST_T + (1 - (v - min) / (max - min)) * (HIST_H - HIST_T - HIST_B);

  const svg = svgEl('svg', { class: 'history', viewBox: `0 0 ${HIST_W} ${HIST_H}`, role: 'img',
    'aria-label': `Unrealized P&L over time: ${points.length} points, latest ${formatMoney(points[points.length - 1].unrealizedPnl, { signed: true })}` });
  // Grid: round levels, and zero dashed.
  const scale = Math.max(...ticks.map(Math.abs));
  for (const v of ticks) {
    svg.append(svgEl('line', { class: 'hist-grid', x1: HIST_L, x2: HIST_W - HIST_R, y1: y(v), y2: y(v) }));
    svg.append(svgEl('text', { class: 'hist-axis', x: HIST_L - 8, y: y(v) + 4, 'text-anchor': 'end' }, compactMoney(v, scale)));
  }
  svg.append(svgEl('line', { class: 'hist-zero', x1: HIST_L, x2: HIST_W - HIST_R, y1: y(0), y2: y(0) }));
  const withSeconds = t1 - t0 < 5 * 60000;
  const timeLabel = (t) => formatTime(t, { seconds: withSeconds });
  svg.append(svgEl('text', { class: 'hist-axis', x: t1 === t0 ? x(t0) : HIST_L, y: HIST_H - 6, 'text-anchor': t1 === t0 ? 'middle' : 'start' }, timeLabel(t0)));
  if (t1 !== t0) svg.append(svgEl('text', { class: 'hist-axis', x: HIST_W - HIST_R, y: HIST_H - 6, 'text-anchor': 'end' }, timeLabel(t1)));

  for (const s of series) {
    const pts = points.filter((p) => Number.isFinite(p[s.key]));
    if (!pts.length) continue;
    const coords = pts.map((p) => `${x(p.takenAt).toFixed(1)},${y(p[s.key]).toFixed(1)}`);
    if (s.key === 'unrealizedPnl' && pts.length > 1) {
      svg.append(svgEl('path', { class: 'hist-area', d: `M${x(pts[0].takenAt).toFixed(1)},${y(0).toFixed(1)} L${coords.join(' L')} L${x(pts[pts.length - 1].takenAt).toFixed(1)},${y(0).toFixed(1)} Z` }));
    }
    svg.append(svgEl('polyline', { class: `hist-line ${s.cls}`, points: coords.join(' ') }));
    const last = pts[pts.length - 1];
    svg.append(svgEl('circle', { class: `hist-dot ${s.cls}`, cx: x(last.takenAt).toFixed(1), cy: y(last[s.key]).toFixed(1), r: 3 }));
  }
  return svg;
}

/** Round axis levels (1, 2 or 5 × 10ⁿ apart) covering lo…hi, about five of them. */
function niceTicks(lo, hi) {
  if (hi - lo < 1e-9) { hi = lo + 1; }
  const raw = (hi - lo) / 4;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw);
  const ticks = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9 || ticks.length < 2; v += step) ticks.push(Math.round(v / step) * step);
  if (ticks[ticks.length - 1] < hi) ticks.push(ticks[ticks.length - 1] + step);
  return ticks;
}
