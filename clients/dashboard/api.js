// The hub's HTTP API, and the token this tab shows it and the stream.
import { showMessage } from './message.js';

// Every URL is relative to the page's own directory, so the same files work at / and behind a proxy that
// serves the hub under a prefix such as /tickhub/.
export const base = new URL('.', location.href);
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

export let token = takeToken();

/** A new `#token=…` given to an open page; true if there was one. */
export function retakeToken() {
  if (!new URLSearchParams(location.hash.slice(1)).has('token')) return false;
  token = takeToken();
  return true;
}

/** The hub said 401 (or closed the stream with 1008): say whether a token is missing or wrong. */
export function reportUnauthorized() {
  showMessage(token ? TOKEN_REFUSED : NEEDS_TOKEN, 'error', 'unauthorized');
}

function apiHeaders() {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** The body of a 2xx answer; otherwise throws the hub's error, with its `code` and the HTTP `status`. `body`, if
 *  given, is sent as JSON. */
export async function api(method, path, body) {
  const init = { method, headers: apiHeaders(), cache: 'no-store' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(endpoint(path), init);
  let answer = null;
  try { answer = await response.json(); } catch (_) { /* not JSON */ }
  if (!response.ok) {
    const error = (answer && answer.error) || { code: `http_${response.status}`, message: `HTTP ${response.status}` };
    const e = new Error(error.message);
    e.code = error.code;
    e.status = response.status;
    throw e;
  }
  return answer;
}

/** Calls `refresh` every `ms` while the tab is in view: a hidden tab asks the hub nothing. */
export function poll(refresh, ms) {
  setInterval(() => { if (!document.hidden) refresh(); }, ms);
}

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

/** A link into the hub (its OpenAPI document, health, metrics) that works with a token too. */
export function linkWithToken(a) {
  a.addEventListener('click', (event) => {
    if (!token) return;
    event.preventDefault();
    openWithToken(a.href);
  });
}
