// The candlestick chart: a click on a watchlist row opens its symbol's candles and volume, backfilled from the
// hub's history (HTTP) and kept live by the stream's bars, at 1m, 5m, 1h or 1d, with the values under the
// crosshair and where the bars came from. Drawn by TradingView's Lightweight Charts, which `make setup` puts in
// vendor/ (not in the repository); loaded on the first click, so a page nobody charts never fetches it, and a
// hub without it serves the rest of the dashboard with a note here saying how to get it.
import { base } from './api.js';
import { INTERVALS, fetchSeries, mergeBar, mergeSeries, readBar, readSeries } from './bars.js';
import { isOpen, send } from './connection.js';
import { $, badge } from './dom.js';
import { DASH, formatCandleTime, formatPrice, formatTime, formatVolume, priceDecimals } from './format.js';
import { sourceBadge } from './providers.js';
import { latestQuote } from './quotes.js';

const LIBRARY = 'vendor/lightweight-charts.js';
const DEFAULT_INTERVAL = '1m';
const UP = '#22c55e', DOWN = '#f43f5e';
const UP_VOLUME = 'rgba(34, 197, 94, 0.35)', DOWN_VOLUME = 'rgba(244, 63, 94, 0.35)';

const el = {
  panel: $('chart'), symbol: $('chart-symbol'), intervals: $('chart-intervals'), source: $('chart-source'),
  status: $('chart-status'), legend: $('chart-legend'), plot: $('chart-plot'), note: $('chart-note'),
  close: $('chart-close'), rows: $('quote-rows'),
};

/** What the panel shows; `generation` tells a late answer for a series left since from one for this one. */
const state = {
  symbol: null, interval: DEFAULT_INTERVAL, status: 'closed', error: null, source: null, lastComplete: false,
  bars: [], updates: 0, generation: 0, openedAt: null, drawnAt: null, lastUpdateAt: null, history: 'none',
  draws: [],                // {at, bars} of each whole drawing of this series: when a day of candles was on screen
};
const DRAWS_KEPT = 20;
let library = null;         // window.LightweightCharts once loaded
let libraryLoad = null;
let chart = null, candleSeries = null, volumeSeries = null;
let hovered = null;         // the bar under the crosshair, or null for the newest
const byChartTime = new Map();   // the chart's time of a bar → the bar
const chartTimes = new Map();    // a bar's time (ms) → its time on the chart

// ---------------------------------------------------------------------------------------------
// Time: the chart draws a UTCTimestamp (seconds) as a UTC wall clock. Shifted by this browser's offset at that
// instant, the axis and the crosshair show the local 24-hour times the rest of the page shows (format.js). A
// day's bar is dated 00:00 UTC of its trading date by the hub, and is drawn unshifted so that it keeps its date.

const isDaily = () => state.interval === '1d';

function chartTime(ms) {
  const shift = isDaily() ? 0 : new Date(ms).getTimezoneOffset() * 60_000;
  return Math.round((ms - shift) / 1000);
}

function barAt(time) {
  return byChartTime.get(time) || null;
}

/** A bar's time on the chart, after `previous` (the one before it's): where the clock goes back an hour, the
 *  repeated hour's bars are set a second apart rather than on top of the first's, which the library refuses. */
function place(bar, previous) {
  let time = chartTime(bar.time);
  if (time <= previous) time = previous + 1;
  chartTimes.set(bar.time, time);
  byChartTime.set(time, bar);
  return time;
}

const AXIS = {
  year: new Intl.DateTimeFormat('en-GB', { year: 'numeric', timeZone: 'UTC' }),
  month: new Intl.DateTimeFormat('en-GB', { month: 'short', timeZone: 'UTC' }),
  day: new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' }),
  time: new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'UTC' }),
};

/** An axis label for the chart's (already shifted) time; the kinds are Lightweight Charts' TickMarkType. */
function tickLabel(time, kind) {
  const date = new Date(time * 1000);
  switch (kind) {
    case 0: return AXIS.year.format(date);
    case 1: return AXIS.month.format(date);
    case 2: return AXIS.day.format(date);
    default: return AXIS.time.format(date);
  }
}

function crosshairLabel(time) {
  const bar = barAt(time);
  if (bar) return formatCandleTime(bar.time, { daily: isDaily() });
  // Between bars: the wall clock the axis shows.
  return isDaily() ? AXIS.day.format(new Date(time * 1000)) : AXIS.time.format(new Date(time * 1000));
}

// ---------------------------------------------------------------------------------------------
// The library

function loadLibrary() {
  if (library) return Promise.resolve(library);
  if (!libraryLoad) {
    libraryLoad = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = new URL(LIBRARY, base).href;
      script.dataset.library = 'lightweight-charts';
      script.onload = () => {
        if (window.LightweightCharts && typeof window.LightweightCharts.createChart === 'function') {
          library = window.LightweightCharts;
          resolve(library);
        } else {
          reject(new Error(`${LIBRARY} loaded but is not Lightweight Charts`));
        }
      };
      script.onerror = () => { script.remove(); reject(new Error(`${LIBRARY} could not be loaded`)); };
      document.head.appendChild(script);
    }).catch((e) => { libraryLoad = null; throw e; });   // tried again on the next click
  }
  return libraryLoad;
}

function createPlot() {
  chart = library.createChart(el.plot, {
    autoSize: true,
    layout: { background: { type: 'solid', color: '#0f161e' }, textColor: '#7f91a5', fontSize: 11 },
    grid: { vertLines: { color: 'rgba(42, 58, 75, 0.45)' }, horzLines: { color: 'rgba(42, 58, 75, 0.45)' } },
    rightPriceScale: { borderColor: '#2a3a4b', scaleMargins: { top: 0.08, bottom: 0.26 } },
    timeScale: { borderColor: '#2a3a4b', secondsVisible: false, tickMarkFormatter: tickLabel },
    crosshair: { mode: library.CrosshairMode.Normal },
    localization: { locale: 'en-GB', timeFormatter: crosshairLabel },
  });
  candleSeries = chart.addCandlestickSeries({
    upColor: UP, downColor: DOWN, borderUpColor: UP, borderDownColor: DOWN, wickUpColor: UP, wickDownColor: DOWN,
  });
  // Volume as an overlay along the bottom fifth, on a scale of its own that is not drawn.
  volumeSeries = chart.addHistogramSeries({ priceFormat: { type: 'volume' }, priceScaleId: '', lastValueVisible: false, priceLineVisible: false });
  volumeSeries.priceScale().applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
  chart.subscribeCrosshairMove((param) => {
    const bar = param && param.time != null ? barAt(param.time) : null;
    if (bar === hovered) return;
    hovered = bar;
    renderLegend();
  });
}

/** The chart's options that follow the symbol and the interval: price precision, whether the axis shows times. */
function fitPlotToSeries() {
  const last = state.bars[state.bars.length - 1];
  const decimals = priceDecimals(state.symbol, last ? last.close : null);
  candleSeries.applyOptions({ priceFormat: { type: 'price', precision: decimals, minMove: 10 ** -decimals } });
  chart.applyOptions({
    timeScale: { timeVisible: !isDaily() },
    localization: { priceFormatter: (p) => formatPrice(state.symbol, p) },
  });
}

// ---------------------------------------------------------------------------------------------
// Drawing

const candleOf = (b, time) => ({ time, open: b.open, high: b.high, low: b.low, close: b.close });
// A bar without a volume (FX midpoints) gets a gap, not a zero that would say nothing traded.
const volumeOf = (b, time) => (b.volume == null ? { time }
  : { time, value: b.volume, color: b.close >= b.open ? UP_VOLUME : DOWN_VOLUME });

/** The whole series again: on a new series, history arriving, or a bar before the newest changing. */
function drawAll() {
  if (!chart) return;
  byChartTime.clear();
  chartTimes.clear();
  const candles = [], volumes = [];
  let previous = -Infinity;
  for (const b of state.bars) {
    const time = place(b, previous);
    previous = time;
    candles.push(candleOf(b, time));
    volumes.push(volumeOf(b, time));
  }
  fitPlotToSeries();
  candleSeries.setData(candles);
  volumeSeries.setData(volumes);
  if (state.bars.length) {
    chart.timeScale().fitContent();
    noteDrawn(state.generation);
  }
  renderLegend();
  renderHead();
}

/** The newest bar only: a live update. */
function drawLast() {
  if (!chart) return;
  const b = state.bars[state.bars.length - 1];
  const before = state.bars[state.bars.length - 2];
  const time = chartTimes.has(b.time) ? chartTimes.get(b.time) : place(b, before ? chartTimes.get(before.time) : -Infinity);
  byChartTime.set(time, b);
  candleSeries.update(candleOf(b, time));
  volumeSeries.update(volumeOf(b, time));
  // The crosshair on the newest candle shows it as it is now.
  if (hovered && hovered.time === b.time) hovered = b;
  if (!hovered || hovered === b) renderLegend();
  renderHead();
}

/** When the series' bars were painted, and how many: the library paints in its animation frame, queued by
 *  setData before this one. */
function noteDrawn(generation) {
  const bars = state.bars.length;
  requestAnimationFrame(() => {
    if (generation !== state.generation) return;
    const at = performance.now();
    if (state.drawnAt == null) {
      state.drawnAt = at;
      el.panel.dataset.drawn = 'true';
    }
    state.draws.push({ at, bars });
    if (state.draws.length > DRAWS_KEPT) state.draws.shift();
  });
}

function renderLegend() {
  const bar = hovered || state.bars[state.bars.length - 1] || null;
  const s = state.symbol;
  const forming = !!bar && bar === state.bars[state.bars.length - 1] && !state.lastComplete;
  const values = bar ? {
    time: formatCandleTime(bar.time, { daily: isDaily() }) + (forming ? ' (forming)' : ''),
    open: formatPrice(s, bar.open), high: formatPrice(s, bar.high), low: formatPrice(s, bar.low),
    close: formatPrice(s, bar.close), volume: formatVolume(bar.volume),
  } : { time: DASH, open: DASH, high: DASH, low: DASH, close: DASH, volume: DASH };
  for (const [field, text] of Object.entries(values)) {
    const cell = el.legend.querySelector(`[data-field="${field}"]`);
    if (cell.textContent !== text) cell.textContent = text;
    if (bar && field !== 'time') cell.dataset.value = bar[field] == null ? '' : String(bar[field]);
    else delete cell.dataset.value;
  }
  el.legend.dataset.direction = !bar ? '' : bar.close > bar.open ? 'up' : bar.close < bar.open ? 'down' : 'flat';
  el.legend.dataset.hovered = String(!!hovered);
}

const STATUS_TEXT = {
  loading: () => 'loading…',
  live: () => (state.lastUpdateAt ? `live · updated ${formatTime(Date.now() - (performance.now() - state.lastUpdateAt))}` : 'live')
    + (state.history === 'asked' ? ' · history loading…' : state.history === 'failed' ? ' · no history' : ''),
  offline: () => 'offline: the last candles known, not live',
  empty: () => 'no bars',
  error: () => 'no bars',
  'no-library': () => 'chart library missing',
};

function renderHead() {
  el.panel.dataset.state = state.status;
  el.panel.dataset.interval = state.interval;
  el.symbol.textContent = state.symbol || '';
  for (const button of el.intervals.querySelectorAll('[data-interval]')) {
    button.setAttribute('aria-pressed', String(button.dataset.interval === state.interval));
  }
  const sourceKey = state.source || '';
  if (el.source.dataset.source !== sourceKey) {
    el.source.dataset.source = sourceKey;
    el.source.textContent = '';
    if (state.source) {
      const [label, cls] = sourceBadge(state.source);
      el.source.append('bars from ', badge(cls, label, { kind: 'source', title: `the bars' source: ${label}` }));
    }
  }
  // Bars carry no stale flag; the symbol's quotes do, and the newest candle is made of them.
  const quote = state.symbol ? latestQuote(state.symbol) : null;
  const stale = state.status === 'live' && !!(quote && quote.stale);
  el.panel.dataset.stale = String(stale);
  const text = stale ? 'stale: the source cannot vouch for the newest candle'
    : (STATUS_TEXT[state.status] || (() => ''))();
  if (el.status.textContent !== text) el.status.textContent = text;
  el.status.title = state.error ? `the history: ${state.error}` : '';
}

/** A note over the plot: why there are no candles, or nothing. */
function showNote(html) {
  el.note.hidden = !html;
  el.note.innerHTML = html || '';
}

const escape = (text) => String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

// ---------------------------------------------------------------------------------------------
// Opening, switching, closing

function markRow() {
  for (const tr of el.rows.querySelectorAll('tr[data-charted]')) delete tr.dataset.charted;
  if (state.status === 'closed') return;
  const tr = el.rows.querySelector(`tr[data-symbol="${CSS.escape(state.symbol)}"]`);
  if (tr) tr.dataset.charted = 'true';
}

const seriesKey = () => [{ symbol: state.symbol, interval: state.interval }];

/** Stops following the series shown, if any. */
function leaveSeries() {
  if (state.symbol && state.status !== 'closed' && state.status !== 'no-library') send({ op: 'unsubscribe', bars: seriesKey() });
}

/** Opens `symbol`'s chart at `interval` (the one shown last if not given): the stream's series and the hub's
 *  history are asked for at once, while the library loads. */
export function openChart(symbol, interval = state.interval) {
  if (!INTERVALS[interval]) return;
  if (symbol === state.symbol && interval === state.interval && ['loading', 'live', 'offline'].includes(state.status)) return;
  leaveSeries();
  const generation = ++state.generation;
  Object.assign(state, {
    symbol, interval, status: 'loading', error: null, source: null, lastComplete: false, bars: [], updates: 0,
    openedAt: performance.now(), drawnAt: null, lastUpdateAt: null, history: 'asked', draws: [],
  });
  hovered = null;
  byChartTime.clear();
  chartTimes.clear();
  el.panel.hidden = false;
  el.panel.scrollIntoView({ block: 'nearest' });
  delete el.panel.dataset.drawn;
  showNote(`Loading ${escape(symbol)} ${escape(interval)} candles…`);
  markRow();
  renderHead();
  if (chart) { candleSeries.setData([]); volumeSeries.setData([]); }
  renderLegend();

  send({ op: 'subscribe', bars: seriesKey() });
  fetchSeries(symbol, interval).then((series) => {
    if (generation !== state.generation) return;
    state.history = 'ok';
    // The stream's bars, when they came first, are the newer.
    state.bars = mergeSeries(series.bars, state.bars);
    if (!state.source) state.source = series.source;
    if (!state.updates) state.lastComplete = series.lastComplete;
    seriesArrived();
  }, (e) => {
    if (generation !== state.generation) return;
    state.history = 'failed';
    state.error = e.message;
    if (!state.bars.length) {
      state.status = 'error';
      showNote(`No ${escape(interval)} bars for ${escape(symbol)}: ${escape(e.message)}`);
      renderHead();
    }
  });

  loadLibrary().then(() => {
    if (generation !== state.generation) return;
    if (!chart) createPlot();
    if (state.bars.length) seriesArrived(); else renderHead();
  }, () => {
    if (generation !== state.generation) return;
    send({ op: 'unsubscribe', bars: seriesKey() });
    state.status = 'no-library';
    showNote('The chart library is not installed here. <code>make setup</code> fetches it (TradingView Lightweight '
      + 'Charts, into <code>clients/dashboard/vendor/</code>; then <code>make install</code> for an installed hub). '
      + 'Everything else on this page works without it.');
    renderHead();
  });
}

/** Bars are in hand (history or the stream's series): drawn if the library is, and the panel says what it has. */
function seriesArrived() {
  if (state.status === 'no-library') return;
  if (state.bars.length) {
    state.status = isOpen() ? 'live' : 'offline';
    showNote('');
  } else if (state.history !== 'asked') {
    state.status = 'empty';
    showNote(`The hub has no ${escape(state.interval)} bars for ${escape(state.symbol)}.`);
  }
  drawAll();
  renderHead();
}

export function closeChart() {
  leaveSeries();
  state.generation += 1;
  state.status = 'closed';
  el.panel.hidden = true;
  markRow();
  renderHead();
}

// ---------------------------------------------------------------------------------------------
// From the stream

const isShown = (m) => state.status !== 'closed' && state.status !== 'no-library'
  && m.symbol === state.symbol && m.interval === state.interval;

/** `{"type":"bars"}`: the series at once on subscribing (again after a reconnect). */
export function onBarSeries(m) {
  if (!isShown(m)) return;
  const series = readSeries(m);
  state.bars = mergeSeries(state.bars, series.bars);
  if (series.source) state.source = series.source;
  state.lastComplete = series.lastComplete;
  seriesArrived();
}

/** `{"type":"bar"}`: a bar updated (the forming one) or begun. */
export function onBar(m) {
  if (!isShown(m)) return;
  const bar = readBar(m);
  if (!bar) return;
  if (m.source) state.source = m.source;
  const where = mergeBar(state.bars, bar);
  // A bar updated is the forming one; a bar begun means the one before it is complete.
  if (where !== 'earlier') state.lastComplete = false;
  state.updates += 1;
  state.lastUpdateAt = performance.now();
  if (state.status === 'loading' || state.status === 'empty' || state.status === 'error') { seriesArrived(); return; }
  if (where === 'earlier' || state.bars.length === 1) drawAll(); else drawLast();
}

/** The stream is open again: the series is asked for again (its snapshot follows). */
export function chartStreamOpened() {
  if (['loading', 'live', 'offline', 'empty', 'error'].includes(state.status)) send({ op: 'subscribe', bars: seriesKey() });
}

/** The stream is gone: what is drawn is the last known, and the panel says so. */
export function chartOffline() {
  if (state.status !== 'live') return;
  state.status = 'offline';
  renderHead();
}

/** For tests and the console: what the panel holds. */
export function chartState() {
  const last = state.bars[state.bars.length - 1];
  return {
    symbol: state.symbol, interval: state.interval, status: state.status, source: state.source, error: state.error,
    bars: state.bars.length, first: state.bars.length ? state.bars[0].time : null, last: last ? { ...last } : null,
    lastComplete: state.lastComplete, updates: state.updates, history: state.history,
    openedAt: state.openedAt, drawnAt: state.drawnAt, draws: state.draws.map((d) => ({ ...d })),
    library: library ? library.version() : null,
  };
}

export function startCandles() {
  el.rows.addEventListener('click', (event) => {
    if (event.target.closest('button, a, input, select')) return;
    const tr = event.target.closest('tr[data-symbol]');
    if (tr) openChart(tr.dataset.symbol);
  });
  el.rows.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || event.target.tagName !== 'TR' || !event.target.dataset.symbol) return;
    event.preventDefault();
    openChart(event.target.dataset.symbol);
  });
  el.intervals.addEventListener('click', (event) => {
    const button = event.target.closest('[data-interval]');
    if (button && state.symbol) openChart(state.symbol, button.dataset.interval);
  });
  el.close.addEventListener('click', closeChart);
  // The "updated" time in the status line.
  setInterval(() => { if (state.status === 'live') renderHead(); }, 1000);
}
