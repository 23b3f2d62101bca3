// Claim-code provisioning: claim the code a device shows (assigning a window), or pre-create one.
// Waiting devices have no event of their own, so the list refreshes every 5 s while the tab is open.
import { api, h } from './api.js';
import { fmtTime, t } from './i18n.js';

let ctx;
let windows = [];
let waiting = [];
let timer = null;

export function fillWindowSelect(select, list, keep = true) {
  const prev = keep ? select.value : '';
  select.replaceChildren(h('option', { value: '' }, t('prov.selectWindow')),
    ...list.map((w) => h('option', { value: w.id }, `${w.name}（${w.id}）${w.deviceId ? ` · ${w.deviceId}` : ''}`)));
  if (prev && list.some((w) => w.id === prev)) select.value = prev;
}

/** Claim codes are 8 characters of Crockford base32 shown as XXXX-XXXX; accept them typed loosely. */
function normalize(code) {
  const c = code.toUpperCase().replace(/[^0-9A-Z]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  return c.length === 8 ? `${c.slice(0, 4)}-${c.slice(4)}` : code.trim().toUpperCase();
}

async function claim(code, windowId) {
  try {
    await api('POST', '/api/devices/claim', { claimCode: normalize(code), windowId });
    ctx.toast(`${normalize(code)}：${t('prov.claimed')}`);
    await load();
    return true;
  } catch (err) {
    ctx.fail(err);
    return false;
  }
}

async function load() {
  [windows, waiting] = await Promise.all([api('GET', '/api/windows'), api('GET', '/api/provision/codes?state=waiting')]);
  render();
}

function render() {
  for (const s of document.querySelectorAll('#tab-provision .window-select')) fillWindowSelect(s, windows);
  const body = document.getElementById('waiting-codes');
  body.replaceChildren(...(waiting.length
    ? waiting.map((c) => {
      const sel = h('select', { 'aria-label': t('prov.window') });
      fillWindowSelect(sel, windows, false);
      return h('tr', { 'data-code': c.code },
        h('td', { class: 'code-input' }, c.code), h('td', {}, c.hardwareId ?? '—'), h('td', {}, c.model ?? '—'), h('td', {}, fmtTime(c.expiresAt)),
        h('td', {}, sel, ' ', h('button', {
          type: 'button', class: 'primary',
          onclick: () => (sel.value ? claim(c.code, sel.value) : ctx.toast(t('prov.selectWindow'), true)),
        }, t('prov.claim'))));
    })
    : [h('tr', {}, h('td', { colspan: 5, class: 'none' }, t('prov.noneWaiting')))]));
}

export const provisionView = {
  async init(c) {
    ctx = c;
    if (!ctx.can(['technician', 'manager'])) return;
    document.getElementById('claim-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const f = e.target;
      if (await claim(f.code.value, f.window.value)) f.reset();
    });
    document.getElementById('code-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        const r = await api('POST', '/api/provision/codes', { windowId: document.getElementById('code-window').value });
        const out = document.getElementById('code-result');
        out.textContent = `${r.code}`;
        out.title = `${t('prov.expires')} ${fmtTime(r.expiresAt)}`;
        out.hidden = false;
      } catch (err) {
        ctx.fail(err);
      }
    });
  },
  render,
  async show() {
    if (!ctx.can(['technician', 'manager'])) return;
    clearInterval(timer);
    timer = setInterval(() => {
      if (document.getElementById('tab-provision').hidden) clearInterval(timer);
      else void load().catch(() => undefined);
    }, 5000);
    await load().catch((err) => ctx.fail(err));
  },
};
