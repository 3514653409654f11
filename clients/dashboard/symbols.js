// The hub's symbol grammar, as much of it as the dashboard checks before asking (docs/protocol.md, Symbols).

const MAX_SYMBOL_LENGTH = 32;

/** What the hub does to a symbol before anything else: upper case, trimmed, single spaces. */
export function normalize(text) {
  return String(text).trim().toUpperCase().replace(/\s+/g, ' ');
}

/** A light check before asking the hub, which has the final word (and says why). */
export function validate(symbol) {
  if (!symbol) return 'Type a symbol, e.g. AAPL, EUR.USD or BTC.';
  if (symbol.length > MAX_SYMBOL_LENGTH) return `Symbols are at most ${MAX_SYMBOL_LENGTH} characters.`;
  if (!/^[A-Z0-9.\- ]+$/.test(symbol)) return `"${symbol}" is not a symbol: use letters, digits, ".", "-" and one space.`;
  if (symbol.split(' ').length > 2) return `"${symbol}" is not a symbol: at most one space (BRK B, SPY 250321P00250000).`;
  if (!/^[A-Z0-9]/.test(symbol)) return `"${symbol}" is not a symbol: it must start with a letter or digit.`;
  return null;
}

export const isForex = (symbol) => /^[A-Z]{3}\.[A-Z]{3}$/.test(symbol);
export const isOption = (symbol) => / \d{6}[CP]\d{8}$/.test(symbol);
