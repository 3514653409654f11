// Price alerts from the dashboard: the bell on a watchlist row opens a small form (condition, level prefilled
// with the current price, cooldown) that creates the rule with `POST api/alerts`; each alert the hub fires
// (the stream's `alerts` channel) becomes a toast.
import { api } from './api.js';
import { $ } from './dom.js';
import { formatPercent, formatPrice, formatTime, priceDecimals } from './format.js';
import { showMessage } from './message.js';
import { latestPrice } from './quotes.js';
import { showToast } from './toasts.js';

const DEFAULT_COOLDOWN_S = 60;
const DEFAULT_CHANGE_PERCENT = 1;

const el = {
  rows: $('quote-rows'), dialog: $('alert-dialog'), form: $('alert-form'), symbol: $('alert-symbol'),
  condition: $('alert-condition'), level: $('alert-level'), levelLabel: $('alert-level-label'),
  reference: $('alert-reference'), referenceRow: $('alert-reference-row'), cooldown: $('alert-cooldown'),
  error: $('alert-error'), cancel: $('alert-cancel'), submit: $('alert-submit'),
};

let formSymbol = null;
let priceLevel = '';        // the level kept while the form asks for a percentage instead

const CONDITION_WORDS = { above: 'above', below: 'below', crosses: 'crosses', changePercent: 'moved' };

/** A level as the form's number field takes it: plain digits, the instrument's decimals. */
function levelText(symbol, price) {
  return price == null || !Number.isFinite(price) ? '' : price.toFixed(priceDecimals(symbol, price));
}

function showLevelKind() {
  const percent = el.condition.value === 'changePercent';
  el.levelLabel.textContent = percent ? 'Change (%)' : 'Price';
  el.referenceRow.hidden = !percent;
  el.level.dataset.kind = percent ? 'percent' : 'price';
}

function openForm(symbol) {
  formSymbol = symbol;
  el.symbol.textContent = symbol;
  el.condition.value = 'above';
  priceLevel = levelText(symbol, latestPrice(symbol));
  el.level.value = priceLevel;
  el.cooldown.value = String(DEFAULT_COOLDOWN_S);
  el.reference.value = 'previousClose';
  el.error.hidden = true;
  el.submit.disabled = false;
  showLevelKind();
  if (typeof el.dialog.showModal === 'function') el.dialog.showModal(); else el.dialog.setAttribute('open', '');
  el.level.focus();
  el.level.select();
}

function closeForm() {
  formSymbol = null;
  if (typeof el.dialog.close === 'function') el.dialog.close(); else el.dialog.removeAttribute('open');
}

function formError(text) {
  el.error.textContent = text;
  el.error.hidden = false;
}

/** The rule the form describes, or a reason it is not one. */
function draft() {
  const condition = el.condition.value;
  const level = Number(el.level.value.trim().replace('−', '-'));
  if (el.level.value.trim() === '' || !Number.isFinite(level)) return { problem: 'Give the level as a number.' };
  if (condition === 'changePercent' && level === 0) return { problem: 'A change of 0 % would fire on every quote.' };
  const cooldown = Number(el.cooldown.value);
  if (!Number.isInteger(cooldown) || cooldown < 0) return { problem: 'The cooldown is a whole number of seconds, 0 or more.' };
  const rule = { symbol: formSymbol, condition, level, cooldownSeconds: cooldown };
  if (condition === 'changePercent') rule.reference = el.reference.value;
  return { rule };
}

async function submit(event) {
  event.preventDefault();
  const { rule, problem } = draft();
  if (problem) { formError(problem); return; }
  el.submit.disabled = true;
  try {
    const created = await api('POST', 'api/alerts', rule);
    closeForm();
    const level = rule.condition === 'changePercent' ? formatPercent(rule.level) : formatPrice(rule.symbol, rule.level);
    showMessage(`Alert set: ${rule.symbol} ${CONDITION_WORDS[rule.condition]} ${level}${created && created.id ? ` (${created.id})` : ''}.`, 'ok');
    const tr = el.rows.querySelector(`tr[data-symbol="${CSS.escape(rule.symbol)}"]`);
    if (tr) tr.dataset.alerted = 'true';
  } catch (e) {
    // The hub names the field at fault; the form stays open to correct it.
    formError(e.message || 'The hub refused the alert.');
    el.submit.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Alerts fired

const toasted = new Set();    // id and time of each alert shown: one delivered twice (a reconnect) is toasted once

/** `{"type":"alert","id","symbol","condition","level","price","time"}` from the stream. */
export function onAlert(m) {
  if (!m || typeof m.symbol !== 'string' || !Number.isFinite(m.price)) return;
  const key = `${m.id}|${m.time}`;
  if (toasted.has(key)) return;
  toasted.add(key);
  if (toasted.size > 500) toasted.delete(toasted.values().next().value);
  const percent = m.condition === 'changePercent';
  const level = Number.isFinite(m.level) ? (percent ? formatPercent(m.level) : formatPrice(m.symbol, m.level)) : '';
  const word = CONDITION_WORDS[m.condition] || String(m.condition || 'alert');
  const when = Number.isFinite(m.time) ? ` · ${formatTime(m.time)}` : '';
  showToast({
    kind: 'alert',
    title: `${m.symbol} ${word} ${level}`.trim(),
    body: `at ${formatPrice(m.symbol, m.price)}${when}`,
    data: { alert: m.id == null ? '' : m.id, symbol: m.symbol },
  });
}

export function startAlerts() {
  el.rows.addEventListener('click', (event) => {
    const bell = event.target.closest('button.bell');
    if (bell) openForm(bell.closest('tr[data-symbol]').dataset.symbol);
  });
  el.condition.addEventListener('change', () => {
    const percent = el.condition.value === 'changePercent';
    if (percent && el.level.dataset.kind === 'price') {
      priceLevel = el.level.value;
      el.level.value = String(DEFAULT_CHANGE_PERCENT);
    } else if (!percent && el.level.dataset.kind === 'percent') {
      el.level.value = priceLevel;
    }
    showLevelKind();
  });
  el.form.addEventListener('submit', submit);
  el.cancel.addEventListener('click', closeForm);
  el.dialog.addEventListener('close', () => { formSymbol = null; });
}
