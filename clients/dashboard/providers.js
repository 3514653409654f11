// The market-data providers: their names and badges wherever a quote's source is shown, and the panel of their
// states from /api/health, with how many symbols each serves.
import { api, poll } from './api.js';
import { $ } from './dom.js';
import { formatTime } from './format.js';

const PROVIDERS = {
  ibkr: ['IBKR', 'src-ibkr'],
  yahoo: ['Yahoo', 'src-yahoo'],
  alphavantage: ['Alpha Vantage', 'src-alphavantage'],
  push: ['Push', 'src-push'],
  tastytrade: ['tastytrade', 'src-tastytrade'],
};

/** [label, badge class]; a provider newer than this page keeps its own name. */
export function sourceBadge(source) {
  return PROVIDERS[source] || [String(source || '?'), 'src-other'];
}

export function providerName(name) {
  return PROVIDERS[name] ? PROVIDERS[name][0] : name;
}

/** Reads the providers' state from the hub's health now (also every 3 s, and on each change of IBKR's state). */
export async function refreshProviders() {
  let health;
  try {
    health = await api('GET', 'api/health');
  } catch (e) {
    return;
  }
  $('providers').replaceChildren(...(health.providers || []).map((p) => {
    const item = document.createElement('span');
    item.className = 'provider';
    item.dataset.provider = p.name;
    item.dataset.available = String(p.available);
    item.dataset.state = p.state;
    let text = `${providerName(p.name)}: ${p.state}`;
    if (p.available) text += ` · ${p.servingSymbols} serving`;
    if (p.until) text += ` until ${formatTime(p.until)}`;
    item.textContent = text;
    if (p.detail) item.title = p.detail;
    return item;
  }));
}

export function startProviders() {
  refreshProviders();
  poll(refreshProviders, 3000);
}
