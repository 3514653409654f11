// How fresh the figures on screen are: the age of the data itself (when its quote or account update was made),
// not the state of the WebSocket that carried it. An open stream can deliver positions the hub has marked
// stale (IBKR disconnected: the marks are the last known prices), and a figure can sit unchanged for minutes
// on a healthy stream; either way the page must say how old it is.
//
// Three states, drawn as green, amber and red:
//   live        the source vouches for every figure (no `stale` flag), the stream is open, and the newest
//               data is younger than `staleAfterMs`;
//   stale       any of those fails: shown, marked, with its age, never as live;
//   long-stale  stale, and older than `longStaleAfterMs`: the values are history, not a blip.
// And a fourth, grey, for figures whose markets are all closed (when the hub says so): the last prices of the
// session are still vouched for, only old, and calling them stale all weekend would teach people to ignore
// amber and red.
//
// Positions (their marks): stale after 30 s without a quote behind them. The pnl channel revalues on every
// quote of a held symbol, and an instrument in session quotes within seconds, so half a minute of silence
// means the feed has stopped or every market involved is closed (told apart only where the hub marks each
// position's session, above); either way the figures are not current.
// Long-stale after 5 minutes: longer than a reconnect to TWS normally takes, so by then it is an outage.
//
// Account values (net liquidation, cash): IBKR sends them every 3 minutes (reqAccountUpdates), so they are
// stale once 4 minutes pass without one (an update was missed) and long-stale after 15 (several were).
export const POSITION_LIMITS = { staleAfterMs: 30000, longStaleAfterMs: 300000 };
export const ACCOUNT_LIMITS = { staleAfterMs: 240000, longStaleAfterMs: 900000 };

/** 'live', 'closed', 'stale' or 'long-stale' for data `ageMs` old (null: unknown), flagged stale by its source
 *  or not, arrived over a live stream or not, from markets all closed or not. */
export function freshness({ ageMs, flaggedStale = false, streamLive = true, marketsClosed = false }, limits) {
  const old = ageMs == null || ageMs > limits.staleAfterMs;
  if (!flaggedStale && streamLive && !old) return 'live';
  if (!flaggedStale && streamLive && marketsClosed) return 'closed';
  return ageMs != null && ageMs > limits.longStaleAfterMs ? 'long-stale' : 'stale';
}

const tickers = new Set();
let timer = null;

/** `render()` once a second (ages grow without any message arriving), and at once. */
export function everySecond(render) {
  tickers.add(render);
  if (!timer) timer = setInterval(() => { for (const r of tickers) r(); }, 1000);
  render();
}
