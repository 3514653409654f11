// The IBKR connection in the header: its state from the stream's `status` channel and a poll, its details, and
// the Connect and Disconnect buttons.
import { api, reportUnauthorized, poll } from './api.js';
import { $ } from './dom.js';
import { DASH, formatDateTime, formatTime } from './format.js';
import { showMessage } from './message.js';

const STATE_TEXT = {
  ready: 'Connected', degraded: 'Degraded', disconnected: 'Disconnected', connecting: 'Connecting…',
  reconnecting: 'Reconnecting', unknown: 'Unknown', disabled: 'Not configured',
};
const DEGRADED_TEXT = {
  linkLost: 'TWS lost its link to IBKR', farmBroken: 'a market-data farm is down',
  competingSession: 'a competing live session took the data',
};

// How the hub reaches IBKR: TWS's socket protocol (TWS or IB Gateway) or the Client Portal gateway's Web API.
const TRANSPORT_TEXT = { tws: 'TWS', clientportal: 'Client Portal' };

const el = {
  state: $('ibkr-state'), stateText: $('ibkr-state-text'), detail: $('ibkr-detail'),
  transport: $('ibkr-transport'), host: $('ibkr-host'), port: $('ibkr-port'), clientId: $('ibkr-client-id'),
  lines: $('ibkr-lines'), accounts: $('ibkr-accounts'), since: $('ibkr-since'),
  error: $('ibkr-error'), connect: $('connect'), disconnect: $('disconnect'),
};

let ibkrState = 'unknown';
let ibkrBusy = false;
// Counts status messages from the stream. An HTTP answer is applied only if none arrived while it was on
// its way: otherwise it may be older than what the stream already said (POST connect answers "connecting",
// and the stream's "ready" can overtake it).
let streamStatusCount = 0;
let stateChanged = () => {};

export const currentState = () => ibkrState;

/** What a stale IBKR quote's note says while the connection is not ready; null when it is. */
export function staleNote() {
  return ibkrState !== 'ready' && STATE_TEXT[ibkrState] ? `stale: IBKR ${STATE_TEXT[ibkrState].toLowerCase()}` : null;
}

function renderIBKR(s) {
  const state = (s && s.state) || 'unknown';
  const changed = state !== ibkrState;
  ibkrState = state;
  if (changed) stateChanged();
  el.state.dataset.state = state;
  el.stateText.textContent = STATE_TEXT[state] || state;
  let detail = '';
  if (state === 'degraded' && Array.isArray(s.degraded)) {
    detail = s.degraded.map((r) => DEGRADED_TEXT[r] || r).join('; ');
  } else if (state === 'reconnecting') {
    detail = `attempt ${s.attempt ?? '?'}` + (s.retryInSeconds != null ? `, next in ${s.retryInSeconds} s` : '');
  }
  el.detail.textContent = detail;
  const portal = s && s.transport === 'clientportal';
  el.state.title = portal ? gatewayTitle(s.gateway) : s && s.serverVersion != null ? `TWS server version ${s.serverVersion}` : '';
  el.transport.textContent = s && s.transport ? TRANSPORT_TEXT[s.transport] || s.transport : DASH;
  el.transport.title = portal ? pacingTitle(s.gateway) : '';
  el.host.textContent = s && s.host ? s.host : DASH;
  el.port.textContent = s && s.port != null ? String(s.port) : DASH;
  // The gateway has no client ids: the number configured is not used there.
  el.clientId.textContent = !portal && s && s.clientId != null ? String(s.clientId) : DASH;
  el.lines.textContent = s && s.lineBudget != null ? `${s.linesInUse ?? 0} / ${s.lineBudget}` : DASH;
  el.accounts.textContent = s && Array.isArray(s.accounts) && s.accounts.length ? s.accounts.join(', ') : DASH;
  el.since.textContent = s && s.connectedSince ? formatTime(s.connectedSince) : DASH;
  el.since.title = s && s.connectedSince ? formatDateTime(s.connectedSince) : '';
  if (s && s.lastError) {
    el.error.textContent = s.lastError;
    el.error.hidden = false;
  } else {
    el.error.hidden = true;
  }
  updateButtons();
}

/** The gateway's own name and version, from its auth status. */
function gatewayTitle(g) {
  if (!g || (!g.serverName && !g.serverVersion)) return 'Client Portal gateway';
  return `Client Portal gateway ${[g.serverName, g.serverVersion].filter(Boolean).join(' ')}`;
}

/** The pace the hub keeps with the gateway (IBKR allows 10 requests a second; a 429 boxes the address). */
function pacingTitle(g) {
  if (!g || g.requestsLast10s == null) return '';
  let text = `${g.requestsLast10s} requests in the last 10 s; ${g.tooManyRequests ?? 0} refused with 429`;
  if (g.penaltyUntil) text += `; nothing sent until ${formatTime(g.penaltyUntil)} (IBKR's penalty box)`;
  return text;
}

function updateButtons() {
  const disabled = ibkrState === 'disabled';
  el.connect.disabled = ibkrBusy || disabled || ['ready', 'degraded', 'connecting'].includes(ibkrState);
  el.disconnect.disabled = ibkrBusy || disabled || ibkrState === 'disconnected';
}

/** A `status` message from the stream. */
export function onStatus(message) {
  if (!message.ibkr) return;
  streamStatusCount += 1;
  renderIBKR(message.ibkr);
}

/** The status channel pushes state changes; lines in use and the like change without one, so poll too. */
export async function refreshIBKR() {
  const before = streamStatusCount;
  try {
    const status = await api('GET', 'api/ibkr/status');
    if (streamStatusCount === before) renderIBKR(status);
  } catch (e) {
    if (e.code === 'ibkr_disabled') renderIBKR({ state: 'disabled' });
    else if (e.status === 401) reportUnauthorized();
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

/** `onStateChange()` is called whenever the connection's state changes. */
export function startIBKR(onStateChange) {
  stateChanged = onStateChange;
  el.connect.addEventListener('click', () => ibkrCommand('connect'));
  el.disconnect.addEventListener('click', () => ibkrCommand('disconnect'));
  updateButtons();
  refreshIBKR();
  poll(() => { if (!ibkrBusy) refreshIBKR(); }, 5000);
}
