// Tickhub Mission Control: a watchlist of live quotes over /stream, and the IBKR connection's controls.
// No build step and no dependencies: the hub serves this file as it is. Protocol: docs/protocol.md.
(() => {
  'use strict';

  const DEFAULT_WATCHLIST = ['AAPL', 'MSFT', 'EUR.USD', 'BTC'];
  const STORAGE_KEY = 'tickhub.watchlist';
  const MAX_SYMBOLS = 1000;             // the hub's per-connection limit
  const MAX_SYMBOL_LENGTH = 32;         // the hub's symbol grammar
  const RENDER_INTERVAL_MS = 200;       // quotes arrive far faster than anyone reads; repaint at most 5×/s
  const SPARK_BUCKET_MS = 500;          // one sparkline point per half second…
  const SPARK_POINTS = 120;             // …for the last minute
  const BACKOFF_BASE_MS = 500;
  const BACKOFF_MAX_MS = 15000;
  const HEARTBEAT_MS = 15000;           // app-level ping; the hub also pings at the WebSocket level
  const SILENCE_LIMIT_MS = 45000;       // nothing at all for this long: assume a dead link and reconnect

  const params = new URLSearchParams(location.search);
  const token = params.get('token') || '';

  const $ = (id) => document.getElementById(id);
  const el = {
    ibkrState: $('ibkr-state'), ibkrStateText: $('ibkr-state-text'), ibkrDetail: $('ibkr-detail'),
    ibkrHost: $('ibkr-host'), ibkrPort: $('ibkr-port'), ibkrClientId: $('ibkr-client-id'),
    ibkrLines: $('ibkr-lines'), ibkrAccounts: $('ibkr-accounts'), ibkrSince: $('ibkr-since'),
    ibkrError: $('ibkr-error'), connect: $('connect'), disconnect: $('disconnect'),
    wsState: $('ws-state'), wsStateText: $('ws-state-text'), wsRate: $('ws-rate'),
    form: $('add-form'), input: $('symbol-input'), add: $('add-symbol'), message: $('message'),
    rows: $('quote-rows'), empty: $('empty'), template: $('row-template'),
  };

  // ---------------------------------------------------------------------------------------------
  // Symbols and the watchlist

  /** What the hub does to a symbol before anything else: upper case, trimmed, single spaces. */
  function normalize(text) {
    return String(text).trim().toUpperCase().replace(/\s+/g, ' ');
  }

  /** A light check before asking the hub, which has the final word (and says why). */
  function validate(symbol) {
    if (!symbol) return 'Type a symbol, e.g. AAPL, EUR.USD or BTC.';
    if (symbol.length > MAX_SYMBOL_LENGTH) return `Symbols are at most ${MAX_SYMBOL_LENGTH} characters.`;
    if (!/^[A-Z0-9.\- ]+$/.test(symbol)) return `"${symbol}" is not a symbol: use letters, digits, ".", "-" and one space.`;
    if (symbol.split(' ').length > 2) return `"${symbol}" is not a symbol: at most one space (BRK B, SPY 250321P00250000).`;
    if (!/^[A-Z0-9]/.test(symbol)) return `"${symbol}" is not a symbol: it must start with a letter or digit.`;
    return null;
  }

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

  // ---------------------------------------------------------------------------------------------
  // Formatting

  const formats = new Map();
  function fixed(decimals) {
    let f = formats.get(decimals);
    if (!f) {
      f = new Intl.NumberFormat('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
      formats.set(decimals, f);
    }
    return f;
  }
  const upTo4 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 4 });
  const DASH = '–';

  const isForex = (symbol) => /^[A-Z]{3}\.[A-Z]{3}$/.test(symbol);
  const isOption = (symbol) => / \d{6}[CP]\d{8}$/.test(symbol);

  /** FX with 5 decimals (3 for yen pairs), everything else with 2; sub-unit prices get 4. */
  function priceDecimals(symbol, value) {
    if (isForex(symbol)) return symbol.endsWith('.JPY') ? 3 : 5;
    if (!isOption(symbol) && value != null && Math.abs(value) < 1) return 4;
    return 2;
  }

  function formatPrice(symbol, value) {
    return value == null ? DASH : fixed(priceDecimals(symbol, value)).format(value);
  }

  function formatPercent(value) {
    if (value == null) return DASH;
    const text = fixed(2).format(Math.abs(value));
    return (value > 0 ? '+' : value < 0 ? '−' : '') + text + '%';
  }

  function formatVolume(value) {
    if (value == null) return DASH;
    return Number.isInteger(value) || Math.abs(value) >= 1000 ? fixed(0).format(value) : upTo4.format(value);
  }

  function formatSize(value) {
    return value == null ? DASH : upTo4.format(value);
  }

  function formatTime(ms) {
    if (!ms) return DASH;
    const d = new Date(ms);
    return d.toLocaleTimeString('en-GB', { hour12: false });
  }

  function midpoint(q) {
    if (q.bid != null && q.ask != null && q.bid > 0 && q.ask >= q.bid) return (q.bid + q.ask) / 2;
    return null;
  }

  /** What the sparkline plots and the flash compares: last trade, or the midpoint (FX does not trade). */
  function priceOf(q) {
    return q.last != null ? q.last : midpoint(q);
  }

  const SOURCES = {
    ibkr: ['IBKR', 'src-ibkr'],
    yahoo: ['Yahoo', 'src-yahoo'],
    alphavantage: ['Alpha Vantage', 'src-alphavantage'],
    push: ['Push', 'src-push'],
  };

  // ---------------------------------------------------------------------------------------------
  // Rows

  /** symbol → { symbol, el, cells, quote, shown, spark, live, error } */
  const rows = new Map();

  function createRow(symbol) {
    const tr = el.template.content.firstElementChild.cloneNode(true);
    tr.dataset.symbol = symbol;
    tr.querySelector('.sym').textContent = symbol;
    const cells = {};
    for (const td of tr.querySelectorAll('[data-field]')) cells[td.dataset.field] = td;
    const remove = tr.querySelector('.remove');
    remove.dataset.remove = symbol;
    remove.setAttribute('aria-label', `Remove ${symbol}`);
    remove.addEventListener('click', () => removeSymbol(symbol));
    const row = {
      symbol, el: tr, cells, note: tr.querySelector('.note'),
      quote: null, shown: {}, spark: [], sparkDirty: true, live: false, error: null, dirty: true,
      svg: createSparkline(cells.trend),
    };
    rows.set(symbol, row);
    return row;
  }

  function addRow(symbol) {
    const row = createRow(symbol);
    el.rows.appendChild(row.el);
    renderRow(row);
    updateEmpty();
    return row;
  }

  function updateEmpty() {
    el.empty.hidden = rows.size > 0;
  }

  // ---------------------------------------------------------------------------------------------
  // Sparklines: inline SVG, one polyline and its area per row

  const SVG_NS = 'http://www.w3.org/2000/svg';
  const SPARK_W = 120, SPARK_H = 28, SPARK_PAD = 2;

  function createSparkline(cell) {
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
    return { svg, area, line, dot };
  }

  function pushSparkPoint(row, price, now) {
    if (price == null || !Number.isFinite(price)) return;
    const bucket = Math.floor(now / SPARK_BUCKET_MS);
    const last = row.spark[row.spark.length - 1];
    if (last && last.bucket === bucket) {
      if (last.price === price) return;
      last.price = price;
    } else {
      row.spark.push({ bucket, price });
      if (row.spark.length > SPARK_POINTS) row.spark.shift();
    }
    row.sparkDirty = true;
  }

  function renderSparkline(row) {
    const { svg, area, line, dot } = row.svg;
    const points = row.spark;
    svg.dataset.points = String(points.length);
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
    svg.parentNode.title = `recent ${Math.round(points.length * SPARK_BUCKET_MS / 1000)} s: ` +
      `low ${formatPrice(row.symbol, min)}, high ${formatPrice(row.symbol, max)}`;
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

  function flash(cell, up) {
    cell.classList.remove('tick-up', 'tick-down');
    cell.classList.add(up ? 'tick-up' : 'tick-down');
    if (typeof cell.animate !== 'function') return;
    cell.animate(
      [{ backgroundColor: up ? 'rgba(34, 197, 94, 0.30)' : 'rgba(244, 63, 94, 0.30)' }, { backgroundColor: 'rgba(0, 0, 0, 0)' }],
      { duration: 600, easing: 'ease-out' });
  }

  /** Sets a numeric cell; flashes it green or red when the value moved. */
  function setNumber(row, field, value, text, options = {}) {
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
      note = ws && ws.readyState === WebSocket.OPEN ? 'waiting for the first quote…' : 'waiting for the hub…';
    } else if (stale) {
      if (!row.live) note = 'stale: the hub is out of reach';
      else if (q.source === 'ibkr' && ibkrState !== 'ready' && STATE_TEXT[ibkrState]) note = `stale: IBKR ${STATE_TEXT[ibkrState].toLowerCase()}`;
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
      row.cells.time.title = q.timestamp ? new Date(q.timestamp).toString() + ` · seq ${q.seq}` : '';
    } else {
      for (const field of ['bid', 'ask', 'last', 'changePercent', 'volume']) setNumber(row, field, null, DASH, { flash: false });
      row.cells.source.textContent = '';
      row.cells.time.textContent = DASH;
    }
    if (row.sparkDirty) {
      row.sparkDirty = false;
      renderSparkline(row);
    }
  }

  function renderSource(row, q, stale) {
    const key = `${q.source}|${q.delayed}|${stale}`;
    if (row.shown.source === key) return;
    row.shown.source = key;
    const cell = row.cells.source;
    cell.textContent = '';
    const [label, cls] = SOURCES[q.source] || [String(q.source || '?'), 'src-other'];
    const badge = document.createElement('span');
    badge.className = `badge ${cls}`;
    badge.textContent = label;
    badge.dataset.badge = 'source';
    cell.appendChild(badge);
    if (q.delayed) {
      const d = document.createElement('span');
      d.className = 'badge mark-delayed';
      d.textContent = 'delayed';
      d.dataset.badge = 'delayed';
      d.title = 'delayed data (typically 15–20 minutes)';
      cell.appendChild(d);
    }
    if (stale) {
      const s = document.createElement('span');
      s.className = 'badge mark-stale';
      s.textContent = 'stale';
      s.dataset.badge = 'stale';
      s.title = 'the last known value; not live';
      cell.appendChild(s);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Messages for the user

  let messageTimer = null;
  function showMessage(text, kind = 'info', code = '') {
    el.message.textContent = text;
    el.message.dataset.kind = kind;
    el.message.dataset.code = code;
    el.message.hidden = false;
    clearTimeout(messageTimer);
    messageTimer = setTimeout(() => { el.message.hidden = true; }, kind === 'error' ? 12000 : 5000);
  }

  // ---------------------------------------------------------------------------------------------
  // HTTP API

  function apiHeaders() {
    return token ? { Authorization: `Bearer ${token}` } : {};
  }

  async function api(method, path) {
    const response = await fetch(path, { method, headers: apiHeaders(), cache: 'no-store' });
    let body = null;
    try { body = await response.json(); } catch (_) { /* not JSON */ }
    if (!response.ok) {
      const error = (body && body.error) || { code: `http_${response.status}`, message: `HTTP ${response.status}` };
      const e = new Error(error.message);
      e.code = error.code;
      e.status = response.status;
      throw e;
    }
    return body;
  }

  // ---------------------------------------------------------------------------------------------
  // IBKR status

  const STATE_TEXT = {
    ready: 'Connected', degraded: 'Degraded', disconnected: 'Disconnected', connecting: 'Connecting…',
    reconnecting: 'Reconnecting', unknown: 'Unknown', disabled: 'Not configured',
  };
  const DEGRADED_TEXT = {
    linkLost: 'TWS lost its link to IBKR', farmBroken: 'a market-data farm is down',
    competingSession: 'a competing live session took the data',
  };

  let ibkrState = 'unknown';
  let ibkrBusy = false;
  // Counts status messages from the stream. An HTTP answer is applied only if none arrived while it was on
  // its way: otherwise it may be older than what the stream already said (POST connect answers "connecting",
  // and the stream's "ready" can overtake it).
  let streamStatusCount = 0;

  function renderIBKR(s) {
    const state = (s && s.state) || 'unknown';
    if (state !== ibkrState) {
      // Stale notes name the connection's state.
      for (const row of rows.values()) row.dirty = true;
      scheduleRender();
    }
    ibkrState = state;
    el.ibkrState.dataset.state = state;
    el.ibkrStateText.textContent = STATE_TEXT[state] || state;
    let detail = '';
    if (state === 'degraded' && Array.isArray(s.degraded)) {
      detail = s.degraded.map((r) => DEGRADED_TEXT[r] || r).join('; ');
    } else if (state === 'reconnecting') {
      detail = `attempt ${s.attempt ?? '?'}` + (s.retryInSeconds != null ? `, next in ${s.retryInSeconds} s` : '');
    }
    el.ibkrDetail.textContent = detail;
    el.ibkrState.title = s && s.serverVersion != null ? `TWS server version ${s.serverVersion}` : '';
    el.ibkrHost.textContent = s && s.host ? s.host : DASH;
    el.ibkrPort.textContent = s && s.port != null ? String(s.port) : DASH;
    el.ibkrClientId.textContent = s && s.clientId != null ? String(s.clientId) : DASH;
    el.ibkrLines.textContent = s && s.lineBudget != null ? `${s.linesInUse ?? 0} / ${s.lineBudget}` : DASH;
    el.ibkrAccounts.textContent = s && Array.isArray(s.accounts) && s.accounts.length ? s.accounts.join(', ') : DASH;
    el.ibkrSince.textContent = s && s.connectedSince ? formatTime(s.connectedSince) : DASH;
    el.ibkrSince.title = s && s.connectedSince ? new Date(s.connectedSince).toString() : '';
    if (s && s.lastError) {
      el.ibkrError.textContent = s.lastError;
      el.ibkrError.hidden = false;
    } else {
      el.ibkrError.hidden = true;
    }
    updateButtons();
  }

  function updateButtons() {
    const disabled = ibkrState === 'disabled';
    el.connect.disabled = ibkrBusy || disabled || ['ready', 'degraded', 'connecting'].includes(ibkrState);
    el.disconnect.disabled = ibkrBusy || disabled || ibkrState === 'disconnected';
  }

  /** The status channel pushes state changes; lines in use and the like change without one, so poll too. */
  async function refreshIBKR() {
    const before = streamStatusCount;
    try {
      const status = await api('GET', '/api/ibkr/status');
      if (streamStatusCount === before) renderIBKR(status);
    } catch (e) {
      if (e.code === 'ibkr_disabled') renderIBKR({ state: 'disabled' });
      else if (e.status === 401) showMessage('This hub needs a token: open the dashboard as /?token=…', 'error', 'unauthorized');
    }
  }

  async function ibkrCommand(action) {
    ibkrBusy = true;
    updateButtons();
    const before = streamStatusCount;
    try {
      const status = await api('POST', `/api/ibkr/${action}`);
      if (streamStatusCount === before) renderIBKR(status);
    } catch (e) {
      showMessage(`Could not ${action}: ${e.message}`, 'error', e.code || '');
    } finally {
      ibkrBusy = false;
      updateButtons();
    }
  }

  el.connect.addEventListener('click', () => ibkrCommand('connect'));
  el.disconnect.addEventListener('click', () => ibkrCommand('disconnect'));

  // ---------------------------------------------------------------------------------------------
  // The stream

  let ws = null;
  let attempt = 0;
  let reconnectTimer = null;
  let countdownTimer = null;
  let lastMessageAt = 0;
  let messagesThisSecond = 0;
  let pingId = 0;
  const pingsSent = new Map();
  let rttMs = null;

  function streamURL() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${location.host}/stream` + (token ? `?token=${encodeURIComponent(token)}` : '');
  }

  function setWSState(state, text) {
    el.wsState.dataset.state = state;
    el.wsStateText.textContent = text;
  }

  function send(message) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }

  function subscribeAll() {
    send({ op: 'subscribe', channels: ['status'] });
    for (let i = 0; i < watchlist.length; i += 200) {
      send({ op: 'subscribe', symbols: watchlist.slice(i, i + 200) });
    }
  }

  function connect() {
    clearTimeout(reconnectTimer);
    clearInterval(countdownTimer);
    setWSState('connecting', attempt ? `Reconnecting… (attempt ${attempt + 1})` : 'Connecting…');
    let socket;
    try {
      socket = new WebSocket(streamURL());
    } catch (e) {
      scheduleReconnect(null, false);
      return;
    }
    ws = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      lastMessageAt = Date.now();
      setWSState('open', 'Live');
      subscribeAll();
      for (const row of rows.values()) row.dirty = true;
      scheduleRender();
    };
    socket.onmessage = (event) => {
      if (ws !== socket) return;
      attempt = 0;   // reset once the hub has really served us, not merely accepted the upgrade
      lastMessageAt = Date.now();
      if (typeof event.data === 'string') receive(event.data);
    };
    socket.onclose = (event) => {
      if (ws !== socket) return;
      ws = null;
      for (const row of rows.values()) { row.live = false; row.dirty = true; }
      scheduleRender();
      scheduleReconnect(event, opened);
    };
    socket.onerror = () => { /* a close event follows */ };
  }

  function scheduleReconnect(event, opened) {
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt) * (0.5 + Math.random() * 0.5);
    attempt += 1;
    const due = Date.now() + delay;
    let why = '';
    if (event && event.code === 1013) why = 'the hub found this tab too slow';
    else if (event && event.code === 1001) why = 'the hub is restarting';
    else if (event && event.code === 1009) why = 'a message was too large';
    const tick = () => {
      const seconds = Math.max(0, Math.ceil((due - Date.now()) / 1000));
      setWSState('closed', `Offline${why ? ` (${why})` : ''}; retry in ${seconds} s`);
    };
    tick();
    countdownTimer = setInterval(tick, 1000);
    reconnectTimer = setTimeout(connect, delay);
    // An upgrade refused before it opened may be a missing or wrong token: the HTTP API says which.
    if (!opened && attempt >= 2) {
      api('GET', '/api/health').catch((e) => {
        if (e.status === 401) {
          showMessage(token ? 'The hub refused this token.' : 'This hub needs a token: open the dashboard as /?token=…',
            'error', 'unauthorized');
        }
      });
    }
  }

  function receive(text) {
    let parsed;
    try { parsed = JSON.parse(text); } catch (_) { return; }
    const messages = Array.isArray(parsed) ? parsed : [parsed];
    messagesThisSecond += messages.length;
    for (const message of messages) {
      if (!message || typeof message !== 'object') continue;
      switch (message.type) {
        case 'quote': onQuote(message); break;
        case 'status':
          if (message.ibkr) { streamStatusCount += 1; renderIBKR(message.ibkr); }
          break;
        case 'error': onServerError(message); break;
        case 'pong': onPong(message); break;
        default: break;
      }
    }
  }

  function onQuote(q) {
    const row = rows.get(q.symbol);
    if (!row) return;   // unsubscribed while it was on its way
    const previous = row.quote;
    // Per-symbol sequence numbers only grow; a snapshot (or a restarted hub) starts a new run.
    if (previous && row.live && !q.snapshot && typeof q.seq === 'number' && q.seq <= previous.seq) return;
    row.quote = q;
    row.live = true;
    if (!q.stale) row.error = null;
    if (!q.stale) pushSparkPoint(row, priceOf(q), Date.now());
    row.dirty = true;
    scheduleRender();
  }

  function onServerError(m) {
    const symbol = m.symbol ? normalize(m.symbol) : null;
    const row = symbol ? rows.get(symbol) : null;
    if (row) {
      row.error = { code: m.code, message: m.message };
      row.dirty = true;
      scheduleRender();
      if (m.code === 'invalid_symbol') {
        // The hub will never accept it: take it off the list again.
        removeSymbol(symbol, { quiet: true });
      }
    }
    showMessage(m.message || m.code, 'error', m.code || '');
  }

  function onPong(m) {
    const sent = pingsSent.get(m.id);
    if (sent != null) {
      rttMs = performance.now() - sent;
      pingsSent.delete(m.id);
    }
  }

  // Rate, heartbeat, dead-link detection.
  setInterval(() => {
    el.wsRate.textContent = `${messagesThisSecond} msg/s` + (rttMs != null ? ` · rtt ${rttMs < 10 ? rttMs.toFixed(1) : Math.round(rttMs)} ms` : '');
    messagesThisSecond = 0;
  }, 1000);

  setInterval(() => {
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - lastMessageAt > SILENCE_LIMIT_MS) {
      ws.close(4000, 'silent');
      return;
    }
    pingId += 1;
    pingsSent.clear();
    pingsSent.set(pingId, performance.now());
    send({ op: 'ping', id: pingId });
  }, HEARTBEAT_MS);

  window.addEventListener('online', () => { if (!ws) { attempt = 0; connect(); } });

  // ---------------------------------------------------------------------------------------------
  // Adding and removing symbols

  function addSymbol(raw) {
    const symbol = normalize(raw);
    const problem = validate(symbol);
    if (problem) {
      el.input.setAttribute('aria-invalid', 'true');
      showMessage(problem, 'error', 'invalid_symbol');
      return false;
    }
    el.input.removeAttribute('aria-invalid');
    if (rows.has(symbol)) {
      showMessage(`${symbol} is already on the watchlist.`, 'info');
      const existing = rows.get(symbol).el;
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
    const row = rows.get(symbol);
    if (!row) return;
    rows.delete(symbol);
    row.el.remove();
    watchlist = watchlist.filter((s) => s !== symbol);
    saveWatchlist();
    send({ op: 'unsubscribe', symbols: [symbol] });
    updateEmpty();
    if (!quiet) showMessage(`Removed ${symbol}.`, 'info');
  }

  el.form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (addSymbol(el.input.value)) el.input.value = '';
    el.input.focus();
  });
  el.input.addEventListener('input', () => el.input.removeAttribute('aria-invalid'));

  // ---------------------------------------------------------------------------------------------
  // Start

  if (token) {
    for (const id of ['link-openapi', 'link-health', 'link-metrics']) {
      const a = $(id);
      a.href = a.getAttribute('href') + `?token=${encodeURIComponent(token)}`;
    }
  }
  for (const symbol of watchlist) addRow(symbol);
  updateEmpty();
  updateButtons();
  refreshIBKR();
  setInterval(() => { if (!document.hidden && !ibkrBusy) refreshIBKR(); }, 5000);

  // ---------------------------------------------------------------------------------------------
  // Providers: each one's state from /api/health, and how many symbols it serves.

  const providerNames = { ibkr: 'IBKR', yahoo: 'Yahoo', alphavantage: 'Alpha Vantage', push: 'Push' };

  async function refreshProviders() {
    let health;
    try {
      health = await api('GET', '/api/health');
    } catch (e) {
      return;
    }
    const panel = document.getElementById('providers');
    panel.replaceChildren(...(health.providers || []).map((p) => {
      const item = document.createElement('span');
      item.className = 'provider';
      item.dataset.provider = p.name;
      item.dataset.available = String(p.available);
      item.dataset.state = p.state;
      let text = `${providerNames[p.name] || p.name}: ${p.state}`;
      if (p.available) text += ` · ${p.servingSymbols} serving`;
      if (p.until) text += ` until ${new Date(p.until).toLocaleTimeString()}`;
      item.textContent = text;
      if (p.detail) item.title = p.detail;
      return item;
    }));
  }

  refreshProviders();
  setInterval(() => { if (!document.hidden) refreshProviders(); }, 3000);
  connect();

  // A read-only handle for debugging from the console (and for tests).
  window.tickhub = Object.freeze({
    watchlist: () => watchlist.slice(),
    streamState: () => el.wsState.dataset.state,
    ibkrState: () => ibkrState,
    quote: (symbol) => { const r = rows.get(normalize(symbol)); return r && r.quote ? { ...r.quote } : null; },
  });
})();
