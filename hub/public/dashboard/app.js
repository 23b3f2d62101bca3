// The dashboard shell: who is logged in, role-gated tabs, the live event stream, language toggle.
import { api, ApiError } from './api.js';
import { applyI18n, t, toggleLang } from './i18n.js';
import { devicesView } from './devices.js';
import { ratingsView } from './ratings.js';
import { provisionView } from './provision.js';
import { registryView } from './registry.js';
import { forwardView } from './forward.js';
import { chartsView } from './charts.js';
import { misuseView } from './misuse.js';
import { casesView } from './cases.js';

const ROLE_ANY = ['admin', 'technician', 'operator', 'manager', 'auditor'];

export const ctx = {
  me: null,
  /** true when the logged-in role is allowed; admin passes everything (as on the server). */
  can(roles) {
    return this.me.role === 'admin' || roles.includes(this.me.role);
  },
  toast(msg, bad = false) {
    const el = document.getElementById('toast');
    el.textContent = msg;
    el.className = bad ? 'toast bad' : 'toast';
    el.hidden = false;
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => { el.hidden = true; }, 4000);
  },
  fail(err) {
    if (err instanceof ApiError && err.status === 403) return this.toast(t('common.forbidden'), true);
    this.toast(`${t('common.error')}: ${err.code ? `${err.code} ` : ''}${err.message}`, true);
  },
};

const views = { devices: devicesView, ratings: ratingsView, provision: provisionView, registry: registryView, forward: forwardView, charts: chartsView, cases: casesView };
views.misuse = misuseView;
let current = null;

function show(tab) {
  const btn = document.querySelector(`#tabs [data-tab="${tab}"]`);
  if (!btn || btn.hidden) tab = 'devices';
  current = tab;
  for (const b of document.querySelectorAll('#tabs [data-tab]')) b.setAttribute('aria-selected', String(b.dataset.tab === tab));
  for (const s of document.querySelectorAll('main > .tab')) s.hidden = s.id !== `tab-${tab}`;
  if (location.hash !== `#${tab}`) history.replaceState(null, '', `#${tab}`);
  void views[tab].show?.();
}

function connectEvents() {
  const live = document.getElementById('live');
  const es = new EventSource('/api/events');
  const setLive = (on) => {
    live.classList.toggle('off', !on);
    live.dataset.i18n = on ? 'top.live' : 'top.offline';
    live.textContent = t(live.dataset.i18n);
  };
  es.addEventListener('open', () => {
    setLive(true);
    // after a reconnect (hub restart, network) events may have been missed: views reload
    for (const v of Object.values(views)) v.onEvent?.('stream.open', {});
  });
  es.addEventListener('error', () => {
    setLive(false);
    // EventSource retries by itself; a closed stream after an auth failure means the session ended
    if (es.readyState === EventSource.CLOSED) {
      void api('GET', '/api/auth/me').then(() => setTimeout(connectEvents, 3000), () => undefined);
    }
  });
  // rating.stored: not emitted by the hub yet (the feed polls); listened to so the feed turns push-driven once it is
  for (const type of ['device.online', 'device.offline', 'alert.raised', 'alert.cleared', 'session.outcome', 'rating.stored',
    'case.opened', 'case.updated', 'case.overdue', 'case.review-overdue']) {
    es.addEventListener(type, (e) => {
      const data = JSON.parse(e.data);
      for (const v of Object.values(views)) v.onEvent?.(type, data);
    });
  }
}

async function main() {
  let me;
  try {
    me = await api('GET', '/api/auth/me');
  } catch {
    return;
  }
  if (!ROLE_ANY.includes(me.role)) {
    location.assign('/login');
    return;
  }
  ctx.me = me;
  const who = document.getElementById('who');
  who.dataset.role = me.role;
  const renderWho = () => { who.textContent = `${me.name.replace(/^user:/, '')} · ${t(`role.${me.role}`)}`; };
  renderWho();
  for (const b of document.querySelectorAll('#tabs [data-roles]')) b.hidden = !ctx.can(b.dataset.roles.split(' '));
  document.getElementById('logout').addEventListener('click', async () => {
    await api('POST', '/api/auth/logout').catch(() => undefined);
    location.assign('/login');
  });
  document.getElementById('lang-toggle').addEventListener('click', () => {
    toggleLang();
    applyI18n();
    renderWho();
    for (const v of Object.values(views)) v.render?.();
  });
  document.getElementById('tabs').addEventListener('click', (e) => {
    const tab = e.target.closest('[data-tab]')?.dataset.tab;
    if (tab) show(tab);
  });
  applyI18n();
  for (const v of Object.values(views)) await v.init?.(ctx);
  connectEvents();
  show(location.hash.slice(1) || 'devices');
  document.body.dataset.ready = 'true';
}

void main();
