// Toasts: news that must be seen even when the trader is looking elsewhere on the page (an alert that fired),
// stacked in a corner, newest at the bottom, each with a close button, fading on their own after a while unless
// the pointer rests on them.
import { $ } from './dom.js';

const LIFETIME_MS = 12_000;
const FADE_MS = 400;
const MAX_SHOWN = 6;                  // older ones go first when more arrive at once

const stack = $('toasts');

function dismiss(toast) {
  if (toast.dataset.leaving) return;
  toast.dataset.leaving = 'true';
  clearTimeout(toast.fadeTimer);
  toast.classList.add('toast-leaving');
  setTimeout(() => toast.remove(), FADE_MS);
}

function arm(toast) {
  clearTimeout(toast.fadeTimer);
  toast.fadeTimer = setTimeout(() => dismiss(toast), LIFETIME_MS);
}

/** Shows a toast: `title` in bold, `body` under it; `data` becomes its data-* attributes (what tests look for). */
export function showToast({ title, body = '', kind = 'info', data = {} }) {
  const toast = document.createElement('div');
  toast.className = `toast toast-${kind}`;
  toast.setAttribute('role', kind === 'alert' ? 'alert' : 'status');
  for (const [k, v] of Object.entries(data)) toast.dataset[k] = String(v);
  const text = document.createElement('div');
  text.className = 'toast-text';
  const strong = document.createElement('strong');
  strong.textContent = title;
  text.append(strong);
  if (body) {
    const small = document.createElement('span');
    small.className = 'toast-body';
    small.textContent = body;
    text.append(small);
  }
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'toast-close';
  close.setAttribute('aria-label', 'Dismiss');
  close.textContent = '×';
  close.addEventListener('click', () => dismiss(toast));
  toast.append(text, close);
  toast.addEventListener('mouseenter', () => clearTimeout(toast.fadeTimer));
  toast.addEventListener('mouseleave', () => arm(toast));
  stack.append(toast);
  const shown = [...stack.querySelectorAll('.toast:not([data-leaving])')];
  for (const old of shown.slice(0, Math.max(0, shown.length - MAX_SHOWN))) dismiss(old);
  arm(toast);
  return toast;
}
