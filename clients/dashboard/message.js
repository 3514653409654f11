// The line under the toolbar that says what just happened: errors stay longer than news.
import { $ } from './dom.js';

const box = $('message');
let timer = null;

export function showMessage(text, kind = 'info', code = '') {
  box.textContent = text;
  box.dataset.kind = kind;
  box.dataset.code = code;
  box.hidden = false;
  clearTimeout(timer);
  timer = setTimeout(() => { box.hidden = true; }, kind === 'error' ? 12000 : 5000);
}

export function hideMessage() {
  box.hidden = true;
}
