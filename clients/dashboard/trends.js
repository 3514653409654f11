// The sparkline column's history: a day of 5-minute bars for each watchlist symbol, asked of the hub a few at a
// time, so that a long watchlist neither floods the hub's history queue (IBKR paces historical requests) nor
// crowds out the chart a trader has just opened.
import { INTERVALS, fetchSeries } from './bars.js';

export const TREND_INTERVAL = '5m';
export const TREND_MS = INTERVALS[TREND_INTERVAL].ms;
const TREND_RANGE = '1d';
const AT_ONCE = 2;
const RETRIES = 2;                    // after a failure of the hub or the network, not after a refusal
const RETRY_AFTER_MS = 30_000;

const queue = [];
let running = 0;

/** Asks for `symbol`'s day in its turn; `take(bars)` gets the bars (oldest first) unless `wanted()` has become
 *  false by then. A symbol with no history (an error the hub gives) keeps the sparkline of what the page sees. */
export function requestTrend(symbol, take, wanted) {
  queue.push({ symbol, take, wanted, tries: 0 });
  next();
}

function next() {
  while (running < AT_ONCE && queue.length) {
    const job = queue.shift();
    if (!job.wanted()) continue;
    running += 1;
    fetchSeries(job.symbol, TREND_INTERVAL, TREND_RANGE)
      .then((series) => { if (job.wanted()) job.take(series.bars); })
      .catch((e) => {
        // 4xx: the hub will not have it (an unknown symbol, no history for its kind); anything else may pass.
        const refused = e.status >= 400 && e.status < 500;
        if (!refused && job.tries < RETRIES) {
          job.tries += 1;
          setTimeout(() => { queue.push(job); next(); }, RETRY_AFTER_MS);
        }
      })
      .finally(() => { running -= 1; next(); });
  }
}
