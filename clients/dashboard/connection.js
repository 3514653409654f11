// The /stream WebSocket: opened with the token in its first message, subscribed again each time it opens,
// reconnected with backoff, and watched by a heartbeat. What arrives goes to the handlers given to startStream.
import { base, token, api, reportUnauthorized } from './api.js';
import { $ } from './dom.js';

const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 15000;
const HEARTBEAT_MS = 15000;           // app-level ping; the hub also pings at the WebSocket level
const SILENCE_LIMIT_MS = 45000;       // nothing at all for this long: assume a dead link and reconnect

const el = { state: $('ws-state'), stateText: $('ws-state-text'), rate: $('ws-rate') };

let ws = null;
let attempt = 0;
let reconnectTimer = null;
let countdownTimer = null;
let lastMessageAt = 0;
let messagesThisSecond = 0;
let pingId = 0;
const pingsSent = new Map();       // ping id → { at: performance.now(), wall: Date.now() } when sent
let rttMs = null;
// The hub's clock minus this browser's, in ms, from the last pong (its `t` is the hub's clock at the answer):
// ages are measured against the hub's clock, since a browser minutes off would call live data stale, or
// stale data live.
let clockOffsetMs = 0;
let stream = null;

/** Never with the token: URLs end up in logs. The token goes in the first message instead. */
function streamURL() {
  const url = new URL('stream', base);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

function setWSState(state, text) {
  el.state.dataset.state = state;
  el.stateText.textContent = text;
}

export const streamState = () => el.state.dataset.state;

/** Now, by the hub's clock (this browser's until a first pong), in ms since the epoch. */
export const hubNow = () => Date.now() + clockOffsetMs;
export const isOpen = () => !!ws && ws.readyState === WebSocket.OPEN;

export function send(message) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
}

function subscribeAll() {
  send({ op: 'subscribe', channels: stream.channels });
  const symbols = stream.symbols();
  for (let i = 0; i < symbols.length; i += 200) {
    send({ op: 'subscribe', symbols: symbols.slice(i, i + 200) });
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
    sendPing();   // at once: the clock offset and the round trip are known from the start
    stream.opened();
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
    stream.closed();
    if (event.code === 1008) {
      // The token is wrong or missing: retrying cannot help until another one is given (see reconnect).
      reportUnauthorized();
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
      if (e.status === 401) reportUnauthorized();
    });
  }
}

/** At once, on a new socket (a new token): the old one closes without marking anything offline. */
export function reconnect() {
  attempt = 0;
  const previous = ws;
  ws = null;
  if (previous) previous.close(1000, 'new token');
  connect();
}

function receive(text) {
  let parsed;
  try { parsed = JSON.parse(text); } catch (_) { return; }
  const messages = Array.isArray(parsed) ? parsed : [parsed];
  messagesThisSecond += messages.length;
  for (const message of messages) {
    if (!message || typeof message !== 'object') continue;
    switch (message.type) {
      case 'quote': stream.quote(message); break;
      case 'status': stream.status(message); break;
      case 'pnl': stream.pnl(message); break;
      case 'bars': stream.bars(message); break;
      case 'bar': stream.bar(message); break;
      case 'alert': stream.alert(message); break;
      case 'error': stream.error(message); break;
      case 'pong': onPong(message); break;
      default: break;
    }
  }
}

function sendPing() {
  pingId += 1;
  pingsSent.clear();
  pingsSent.set(pingId, { at: performance.now(), wall: Date.now() });
  send({ op: 'ping', id: pingId });
}

function onPong(m) {
  const sent = pingsSent.get(m.id);
  if (sent == null) return;
  rttMs = performance.now() - sent.at;
  pingsSent.delete(m.id);
  // The hub read its clock about half a round trip after the ping left.
  if (Number.isFinite(m.t)) clockOffsetMs = m.t / 1000 - (sent.wall + rttMs / 2);
}

/** Opens the stream and keeps it open. `channels` and `symbols()` are subscribed each time it opens, then
 *  `opened()` is called (where anything else is subscribed again); `closed()` when it is lost; `quote`,
 *  `status`, `pnl`, `bars`, `bar`, `alert` and `error` take those messages. */
export function startStream(handlers) {
  stream = handlers;

  // Rate, heartbeat, dead-link detection.
  setInterval(() => {
    el.rate.textContent = `${messagesThisSecond} msg/s` + (rttMs != null ? ` · rtt ${rttMs < 10 ? rttMs.toFixed(1) : Math.round(rttMs)} ms` : '');
    messagesThisSecond = 0;
  }, 1000);

  setInterval(() => {
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - lastMessageAt > SILENCE_LIMIT_MS) {
      ws.close(4000, 'silent');
      return;
    }
    sendPing();
  }, HEARTBEAT_MS);

  window.addEventListener('online', () => { if (!ws) { attempt = 0; connect(); } });

  connect();
}
