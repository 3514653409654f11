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

  // Every URL is relative to the page's own directory, so the same files work at / and behind a proxy that
  // serves the hub under a prefix such as /tickhub/.
  const base = new URL('.', location.href);
  const endpoint = (path) => new URL(path, base).href;
  const NEEDS_TOKEN = 'This hub needs a token: open the dashboard as /#token=…';
  const TOKEN_REFUSED = 'The hub refused this token.';

  // Per directory: two hubs behind one proxy may have different tokens.
  const TOKEN_KEY = `tickhub.token:${base.pathname}`;

  /** The token from `#token=` (a fragment never reaches a server or a proxy's log) or, for old links,
   *  `?token=`; kept for the tab in sessionStorage and taken out of the address bar, so that it is neither
   *  bookmarked nor shared with the URL. An empty `#token=` forgets it. */
  function takeToken() {
    const fragment = new URLSearchParams(location.hash.slice(1));
    const query = new URLSearchParams(location.search);
    const given = fragment.has('token') ? fragment.get('token') : query.get('token');
    if (given === null) {
      try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch (_) { return ''; }
    }
    try {
      if (given) sessionStorage.setItem(TOKEN_KEY, given); else sessionStorage.removeItem(TOKEN_KEY);
    } catch (_) { /* storage disabled: the token lasts as long as the page */ }
    fragment.delete('token');
    query.delete('token');
    const search = query.toString();
    const hash = fragment.toString();
    history.replaceState(history.state, '', location.pathname + (search ? `?${search}` : '') + (hash ? `#${hash}` : ''));
    return given;
  }

  let token = takeToken();

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
    const response = await fetch(endpoint(path), { method, headers: apiHeaders(), cache: 'no-store' });
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
      const status = await api('GET', 'api/ibkr/status');
      if (streamStatusCount === before) renderIBKR(status);
    } catch (e) {
      if (e.code === 'ibkr_disabled') renderIBKR({ state: 'disabled' });
      else if (e.status === 401) showMessage(token ? TOKEN_REFUSED : NEEDS_TOKEN, 'error', 'unauthorized');
    }
  }

  async function ibkrCommand(action) {
    ibkrBusy = true;
    updateButtons();
    const before = streamStatusCount;
    try {
      const status = await api('POST', `api/ibkr/${action}`);
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

  /** Never with the token: URLs end up in logs. The token goes in the first message instead. */
  function streamURL() {
    const url = new URL('stream', base);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return url.href;
  }

  function setWSState(state, text) {
    el.wsState.dataset.state = state;
    el.wsStateText.textContent = text;
  }

  function send(message) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }

  function subscribeAll() {
    send({ op: 'subscribe', channels: ['status', 'pnl'] });
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
      // The hub handles a connection's messages in order, so the subscribes need not wait for `authenticated`.
      if (token) send({ op: 'auth', token });
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
      pnlOffline();
      if (event.code === 1008) {
        // The token is wrong or missing: retrying cannot help until another one is given (see hashchange).
        showMessage(token ? TOKEN_REFUSED : NEEDS_TOKEN, 'error', 'unauthorized');
        setWSState('closed', token ? 'Offline (token refused)' : 'Offline (token needed)');
        return;
      }
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
      api('GET', 'api/health').catch((e) => {
        if (e.status === 401) showMessage(token ? TOKEN_REFUSED : NEEDS_TOKEN, 'error', 'unauthorized');
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
        case 'pnl': onPnl(message); break;
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

  // The footer's links stay plain: a token in an href would be copied, logged and kept in the history. With a
  // token, a click fetches the page with the header instead and shows it from a Blob URL.
  async function openWithToken(url) {
    // Opened before the fetch, while the click still counts as a user gesture, or it would be blocked.
    const tab = window.open('', '_blank');
    try {
      const response = await fetch(url, { headers: apiHeaders(), cache: 'no-store' });
      // As text, whatever it is: YAML and Prometheus text would otherwise be downloaded rather than shown.
      const blob = new Blob([await response.arrayBuffer()], { type: 'text/plain; charset=utf-8' });
      const blobURL = URL.createObjectURL(blob);
      if (tab) {
        tab.opener = null;
        tab.location.href = blobURL;
      } else {
        window.open(blobURL, '_blank', 'noopener');
      }
      setTimeout(() => URL.revokeObjectURL(blobURL), 60000);
    } catch (e) {
      if (tab) tab.close();
      showMessage(`Could not open ${url}: ${e.message}`, 'error');
    }
  }

  for (const id of ['link-openapi', 'link-health', 'link-metrics']) {
    const a = $(id);
    a.addEventListener('click', (event) => {
      if (!token) return;
      event.preventDefault();
      openWithToken(a.href);
    });
  }

  // A new `#token=…` given to an open page: use it at once.
  window.addEventListener('hashchange', () => {
    if (!new URLSearchParams(location.hash.slice(1)).has('token')) return;
    token = takeToken();
    el.message.hidden = true;
    attempt = 0;
    const previous = ws;
    ws = null;
    if (previous) previous.close(1000, 'new token');
    connect();
    refreshIBKR();
  });

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
      health = await api('GET', 'api/health');
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

  // ---------------------------------------------------------------------------------------------
  // Positions and P&L: the `pnl` channel for the table and its totals; the HTTP API for the summary,
  // the allocation and the history, polled. Totals are in USD; a position's own values in its currency.

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

  const pel = {
    section: $('portfolio'), tabs: $('broker-tabs'), live: $('pnl-live'), summary: $('pnl-summary'),
    table: $('positions'), rows: $('position-rows'), total: $('pnl-total'), empty: $('positions-empty'),
    template: $('position-template'), allocation: $('allocation'), history: $('pnl-history'),
  };

  const brokerName = (broker) => BROKER_NAMES[broker] || broker;
  const positionKey = (p) => `${p.broker}:${p.account}:${p.symbol}`;

  function loadTab() {
    try { return localStorage.getItem(TAB_KEY) || 'all'; } catch (_) { return 'all'; }
  }

  let pnl = null;                      // the latest `pnl` message
  let pnlLive = false;                 // it came over an open stream (not what was left when it closed)
  let selectedBroker = loadTab();
  let knownBrokers = new Set(['ibkr']); // from /api/brokers; IBKR always has its tab
  /** key → { key, position, el, cells, shown, note, markText, markBadge } */
  const positionRows = new Map();

  /** Money: thousands separators, 2 decimals, a real minus; `signed` adds "+" to gains. */
  function formatMoney(value, { signed = false } = {}) {
    if (value == null || !Number.isFinite(value)) return DASH;
    const rounded = Math.round(value * 100) / 100;
    const text = fixed(2).format(Math.abs(rounded));
    if (rounded < 0) return '−' + text;
    return (signed && rounded > 0 ? '+' : '') + text;
  }

  function formatQuantity(value) {
    if (value == null) return DASH;
    return (value < 0 ? '−' : '') + upTo4.format(Math.abs(value));
  }

  /** Marks move several times a second: a lighter flash than the quote table's, and only the text tints. */
  function softFlash(cell, up) {
    cell.classList.remove('tick-up', 'tick-down');
    cell.classList.add(up ? 'tick-up' : 'tick-down');
    if (typeof cell.animate !== 'function') return;
    cell.animate(
      [{ backgroundColor: up ? 'rgba(34, 197, 94, 0.14)' : 'rgba(244, 63, 94, 0.14)' }, { backgroundColor: 'rgba(0, 0, 0, 0)' }],
      { duration: 450, easing: 'ease-out' });
  }

  const signOf = (value) => value == null || !Number.isFinite(value) ? '' : value > 0.004 ? 'up' : value < -0.004 ? 'down' : 'flat';

  function setSigned(cell, value, text, title) {
    if (cell.textContent !== text) cell.textContent = text;
    cell.dataset.value = value == null ? '' : String(value);
    cell.dataset.sign = signOf(value);
    cell.classList.toggle('missing', value == null);
    if (title !== undefined && cell.title !== title) cell.title = title;
  }

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
    const cells = {};
    for (const td of tr.querySelectorAll('[data-field]')) cells[td.dataset.field] = td;
    const badge = document.createElement('span');
    badge.className = `badge ${p.broker === 'ibkr' ? 'src-ibkr' : 'broker-other'}`;
    badge.textContent = brokerName(p.broker);
    cells.broker.appendChild(badge);
    cells.account.textContent = p.account;
    tr.querySelector('.sym').textContent = p.symbol;
    const markText = document.createElement('span');
    markText.className = 'mark-value';
    cells.mark.appendChild(markText);
    const row = { key, el: tr, cells, shown: {}, note: tr.querySelector('.note'), markText, markBadge: null };
    positionRows.set(key, row);
    return row;
  }

  function renderPositionRow(row, p) {
    const tr = row.el;
    const stale = !!p.stale || !pnlLive;
    tr.dataset.stale = String(stale);
    tr.dataset.side = p.quantity < 0 ? 'short' : 'long';

    const parts = [SEC_TYPES[p.secType] || p.secType];
    if (p.multiplier && p.multiplier !== 1) parts.push(`×${upTo4.format(p.multiplier)}`);
    if (p.currency && p.currency !== 'USD') parts.push(p.currency);
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

    // The mark: its value, how it was found, and a stale mark when it is not live.
    const markLabel = formatPrice(p.symbol, p.mark);
    if (row.markText.textContent !== markLabel) {
      const before = row.shown.mark;
      row.markText.textContent = markLabel;
      if (!stale && before != null && p.mark != null && p.mark !== before) softFlash(row.cells.mark, p.mark > before);
    }
    row.shown.mark = p.mark;
    row.cells.mark.dataset.value = p.mark == null ? '' : String(p.mark);
    row.cells.mark.dataset.method = p.markMethod || '';
    row.cells.mark.classList.toggle('missing', p.mark == null);
    row.cells.mark.classList.toggle('mid', p.markMethod === 'midpoint');
    const methods = { last: 'last trade', midpoint: 'bid/ask midpoint', lastKnown: 'last known price' };
    row.cells.mark.title = p.mark == null ? 'no price yet'
      : `${methods[p.markMethod] || 'mark'}${p.quoteSource ? ` from ${SOURCES[p.quoteSource] ? SOURCES[p.quoteSource][0] : p.quoteSource}` : ''}` +
        (stale ? ' · stale: not live' : '');
    if (stale && !row.markBadge) {
      const s = document.createElement('span');
      s.className = 'badge mark-stale';
      s.textContent = 'stale';
      s.dataset.badge = 'stale';
      row.cells.mark.prepend(s);
      row.markBadge = s;
    } else if (!stale && row.markBadge) {
      row.markBadge.remove();
      row.markBadge = null;
    }

    setNumber(row, 'marketValue', p.marketValue, formatMoney(p.marketValue), { flash: false });
    setSigned(row.cells.unrealizedPnl, p.unrealizedPnl, formatMoney(p.unrealizedPnl, { signed: true }));
    setSigned(row.cells.dailyPnl, p.dailyPnl, formatMoney(p.dailyPnl, { signed: true }));
    setSigned(row.cells.unrealizedPercent, p.unrealizedPercent, formatPercent(p.unrealizedPercent));

    // IBKR's own figure beside Tickhub's; the difference in the tooltip.
    const theirs = p.brokerUnrealizedPnl;
    let title = '';
    if (theirs != null && p.unrealizedPnl != null) {
      title = `${brokerName(p.broker)}'s own unrealized P&L; Tickhub − ${brokerName(p.broker)} = ${formatMoney(p.unrealizedPnl - theirs, { signed: true })}` +
        ' (the broker revalues less often)';
    } else if (p.broker === 'ibkr') {
      title = 'IBKR has not reported its figure yet';
    }
    setSigned(row.cells.brokerUnrealizedPnl, theirs, theirs == null ? (p.broker === 'ibkr' ? DASH : '') : formatMoney(theirs, { signed: true }), title);
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

    // The IBKR column only where there is something to compare.
    pel.table.classList.toggle('has-broker-pnl', shown.some((p) => p.broker === 'ibkr'));

    pel.empty.hidden = shown.length > 0 || !pnl;
    pel.empty.textContent = selectedBroker === 'all'
      ? 'No positions. Add one with POST /api/positions, or import a CSV (POST /api/positions/import).'
      : `No ${brokerName(selectedBroker)} positions.`;
    renderTotals(shown);
  }

  function renderTotals(shown) {
    const cells = {};
    for (const td of pel.total.querySelectorAll('[data-field]')) cells[td.dataset.field] = td;
    const t = !pnl ? null : selectedBroker === 'all' ? pnl.totals : (pnl.byBroker || {})[selectedBroker] || {
      positions: 0, marketValue: 0, unrealizedPnl: 0, dailyPnl: 0, unvalued: 0, stale: 0,
    };
    pel.total.dataset.broker = selectedBroker;
    const label = pel.total.querySelector('.total-label');
    label.textContent = selectedBroker === 'all' ? 'Total' : `${brokerName(selectedBroker)} total`;
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

    // Percent over the cost basis of what was valued, in USD.
    let basis = 0;
    for (const p of shown) {
      if (p.usdRate == null || p.unrealizedPnl == null) continue;
      basis += Math.abs((p.costPerUnit != null ? p.costPerUnit : p.avgCost) * p.quantity * (p.multiplier || 1) * p.usdRate);
    }
    const pct = basis > 0 ? t.unrealizedPnl / basis * 100 : null;
    setSigned(cells.unrealizedPercent, pct, formatPercent(pct));

    // IBKR's sum, when every position in view is IBKR's and has its figure.
    const comparable = shown.length > 0 && shown.every((p) => p.broker === 'ibkr' && p.brokerUnrealizedPnl != null && p.usdRate != null);
    const theirs = comparable ? shown.reduce((sum, p) => sum + p.brokerUnrealizedPnl * p.usdRate, 0) : null;
    setSigned(cells.brokerUnrealizedPnl, theirs, theirs == null ? '' : formatMoney(theirs, { signed: true }),
      theirs == null ? '' : `IBKR's own total; Tickhub − IBKR = ${formatMoney(t.unrealizedPnl - theirs, { signed: true })}`);
  }

  function renderLive() {
    const state = pnlLive ? 'live' : pnl ? 'stale' : 'waiting';
    pel.live.dataset.state = state;
    pel.section.dataset.live = String(pnlLive);
    let text = 'waiting for the hub…';
    if (pnl) {
      const when = pnl.t ? formatTime(Math.floor(pnl.t / 1000)) : '';
      text = pnlLive ? `Live · ${when}` : `Offline · as of ${when}`;
    }
    if (pel.live.textContent !== text) pel.live.textContent = text;
  }

  function onPnl(message) {
    pnl = message;
    pnlLive = true;
    renderPositions();
    renderLive();
    // The summary's P&L figures are these totals; keep them as live as the table.
    if (message.totals) renderSummary({ ...lastSummary, ...pickTotals(message.totals) });
  }

  /** The stream closed: what is shown is the last known state, not live. */
  function pnlOffline() {
    if (!pnlLive) return;
    pnlLive = false;
    renderPositions();
    renderLive();
  }

  // ----- Summary

  let lastSummary = {};
  const pickTotals = (t) => ({ marketValue: t.marketValue, unrealizedPnl: t.unrealizedPnl, dailyPnl: t.dailyPnl, positions: t.positions });

  function renderSummary(s) {
    lastSummary = s;
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
    if (changed) renderPositions();
  }

  // ----- Allocation: horizontal bars, inline SVG

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
      const svg = document.createElementNS(SVG_NS, 'svg');
      svg.setAttribute('class', 'alloc-bar');
      svg.setAttribute('height', '12');
      svg.setAttribute('aria-hidden', 'true');
      const track = document.createElementNS(SVG_NS, 'rect');
      track.setAttribute('class', 'alloc-track');
      track.setAttribute('width', '100%');
      track.setAttribute('height', '12');
      track.setAttribute('rx', '3');
      const bar = document.createElementNS(SVG_NS, 'rect');
      bar.setAttribute('width', `${Math.min(100, Math.max(0.5, share * 100)).toFixed(2)}%`);
      bar.setAttribute('height', '12');
      bar.setAttribute('rx', '3');
      bar.setAttribute('fill', colorFor(group, name, i));
      svg.append(track, bar);
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

  // ----- P&L history: a line chart, inline SVG

  const HIST_W = 640, HIST_H = 200, HIST_L = 74, HIST_R = 12, HIST_T = 12, HIST_B = 26;

  function svgEl(name, attrs, text) {
    const e = document.createElementNS(SVG_NS, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text != null) e.textContent = text;
    return e;
  }

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
    const timeLabel = (t) => new Date(t).toLocaleTimeString('en-GB',
      withSeconds ? { hour12: false } : { hour: '2-digit', minute: '2-digit', hour12: false });
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
    plot.replaceChildren(svg);
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

  /** An axis label; `scale` (the largest level) picks one unit for the whole axis. */
  function compactMoney(v, scale = Math.abs(v)) {
    const a = Math.abs(v);
    const sign = v < -0.5 ? '−' : '';
    if (scale >= 1e6) return `${sign}${upTo4.format(Math.round(a / 1e4) / 100)}M`;
    if (scale >= 2e4) return `${sign}${upTo4.format(Math.round(a / 100) / 10)}k`;
    return `${sign}${fixed(0).format(a)}`;
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

  renderPositions();
  renderLive();
  renderHistory([]);
  refreshPortfolio();
  refreshHistory().catch(() => {});
  setInterval(() => { if (!document.hidden) refreshPortfolio(); }, PORTFOLIO_REFRESH_MS);
  setInterval(() => { if (!document.hidden) refreshHistory().catch(() => {}); }, HISTORY_REFRESH_MS);

  connect();

  // A read-only handle for debugging from the console (and for tests).
  window.tickhub = Object.freeze({
    watchlist: () => watchlist.slice(),
    streamState: () => el.wsState.dataset.state,
    ibkrState: () => ibkrState,
    quote: (symbol) => { const r = rows.get(normalize(symbol)); return r && r.quote ? { ...r.quote } : null; },
    pnl: () => (pnl ? JSON.parse(JSON.stringify(pnl)) : null),
    positionsTab: () => selectedBroker,
  });
})();
