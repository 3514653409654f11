// Tickhub Mission Control: a watchlist of live quotes over /stream, the IBKR connection's controls, and the
// positions with their live P&L. Native ES modules with no build step and no dependencies: the hub serves these
// files as they are. Protocol: docs/protocol.md. This module wires the others together and starts them.
import { onAlert, startAlerts } from './alerts.js';
import { linkWithToken, retakeToken } from './api.js';
import { chartOffline, chartState, chartStreamOpened, onBar, onBarSeries, startCandles } from './candles.js';
import { reconnect, startStream, streamState } from './connection.js';
import { $ } from './dom.js';
import { currentState as ibkrState, onStatus, refreshIBKR, startIBKR } from './ibkr.js';
import { hideMessage } from './message.js';
import { latestPnl, onPnl, pnlOffline, positionsTab, startPortfolio } from './portfolio.js';
import { refreshProviders, startProviders } from './providers.js';
import { latestQuote, onQuote, quotesOffline, renderAll } from './quotes.js';
import { normalize } from './symbols.js';
import { onServerError, startWatchlist, symbols } from './watchlist.js';

for (const id of ['link-openapi', 'link-health', 'link-metrics']) linkWithToken($(id));

// A new `#token=…` given to an open page: use it at once.
window.addEventListener('hashchange', () => {
  if (!retakeToken()) return;
  hideMessage();
  reconnect();
  refreshIBKR();
});

startWatchlist();
// Stale quotes' notes name the connection's state, and the providers' strip follows it at once rather than at its
// next poll (it would otherwise call IBKR ready for up to 3 s after the header says it is not).
startIBKR(() => { renderAll(); refreshProviders(); });
startProviders();
startPortfolio();
startCandles();
startAlerts();
startStream({
  channels: ['status', 'pnl', 'alerts'],
  symbols,
  opened: () => { renderAll(); chartStreamOpened(); },
  closed: () => { quotesOffline(); pnlOffline(); chartOffline(); },
  quote: onQuote,
  status: onStatus,
  pnl: onPnl,
  bars: onBarSeries,
  bar: onBar,
  alert: onAlert,
  error: onServerError,
});

// A read-only handle for debugging from the console (and for tests).
window.tickhub = Object.freeze({
  watchlist: symbols,
  streamState,
  ibkrState,
  quote: (symbol) => latestQuote(normalize(symbol)),
  pnl: latestPnl,
  positionsTab,
  chart: chartState,
});
