// Device health grid and alerts, refreshed on every device/alert event and every 15 s (telemetry has no event).
import { api, h } from './api.js';
import { fmtTime, t } from './i18n.js';

let ctx;
let devices = [];
let windows = new Map();
let alerts = [];
let timer = null;

async function load() {
  const [d, w, a] = await Promise.all([api('GET', '/api/devices'), api('GET', '/api/windows'), api('GET', '/api/alerts')]);
  devices = d.filter((x) => x.state === 'active').sort((a, b) => (a.windowId ?? '~').localeCompare(b.windowId ?? '~') || a.id.localeCompare(b.id));
  windows = new Map(w.map((x) => [x.id, x]));
  alerts = a;
  render();
}

function card(d) {
  const tel = d.telemetry ?? null;
  const win = d.windowId ? windows.get(d.windowId) : null;
  const state = d.onlineState;
  const input = tel?.input ? `${tel.input.driver} · ${t(`input.${tel.input.state}`)}` : '—';
  const clock = tel?.clock ? (tel.clock.trusted ? t('dev.trusted') : t('dev.untrusted')) : '—';
  const versions = tel?.versions ? `app ${tel.versions.app} · node ${tel.versions.node} · v${tel.versions.protocol}${tel.versions.indicators ? ` · 指标 ${tel.versions.indicators}` : ''}` : (d.appVersion ? `app ${d.appVersion}` : '—');
  const decommission = ctx.can(['technician', 'manager'])
    ? h('button', {
      type: 'button', class: 'danger', 'data-action': 'decommission',
      onclick: async () => {
        if (!confirm(t('dev.confirmDecommission'))) return;
        try {
          await api('POST', `/api/devices/${encodeURIComponent(d.id)}/decommission`);
          await load();
        } catch (err) {
          ctx.fail(err);
        }
      },
    }, t('dev.decommission'))
    : null;
  return h('article', { class: `card ${state}`, 'data-device': d.id, 'data-state': state },
    h('div', { class: 'head' },
      h('span', { class: 'win' }, win ? win.name : t('dev.unassigned')),
      h('span', { class: `badge ${state}`, 'data-role': 'state' }, t(`dev.${state}`))),
    h('dl', {},
      h('dt', {}, 'ID'), h('dd', {}, d.id),
      h('dt', {}, t('dev.lastSeen')), h('dd', {}, fmtTime(d.lastSeenAt)),
      state === 'offline' && d.offlineReason ? [h('dt', {}, t('dev.reason')), h('dd', { class: 'warn' }, t(`dev.reason.${d.offlineReason}`))] : null,
      h('dt', {}, t('dev.backlog')), h('dd', { class: tel && tel.backlog > 0 ? 'warn' : '' }, tel ? String(tel.backlog) : '—'),
      h('dt', {}, t('dev.input')), h('dd', { class: tel?.input?.state === 'failed' ? 'warn' : '' }, input),
      h('dt', {}, t('dev.clock')), h('dd', { class: tel?.clock && !tel.clock.trusted ? 'warn' : '' }, clock),
      h('dt', {}, t('dev.versions')), h('dd', {}, versions)),
    decommission);
}

function render() {
  const count = (st) => devices.filter((x) => x.onlineState === st).length;
  document.getElementById('device-summary').replaceChildren(
    ...['online', 'offline', 'unknown'].map((st) => h('span', { class: `badge ${st}`, 'data-count': st }, `${t(`dev.${st}`)} ${count(st)}`)));
  const grid = document.getElementById('device-grid');
  grid.replaceChildren(...(devices.length ? devices.map(card) : [h('p', { class: 'none' }, t('dev.none'))]));
  const list = document.getElementById('alert-list');
  const name = (id) => {
    const d = devices.find((x) => x.id === id);
    const w = d?.windowId ? windows.get(d.windowId) : null;
    return w ? `${w.name}（${id}）` : id;
  };
  list.replaceChildren(...(alerts.length
    ? alerts.map((a) => h('li', { 'data-alert': a.kind, 'data-device': a.deviceId },
      h('strong', {}, t(`alert.${a.kind}`)), h('br'), name(a.deviceId), ' · ', t('alerts.raised'), ' ', fmtTime(a.raisedAt)))
    : [h('li', { class: 'none' }, t('alerts.none'))]));
}

export const devicesView = {
  async init(c) {
    ctx = c;
    await load();
    timer = setInterval(() => { void load().catch(() => undefined); }, 15_000);
  },
  render,
  show: () => load().catch((err) => ctx.fail(err)),
  onEvent(type) {
    if (type.startsWith('device.') || type.startsWith('alert.') || type === 'stream.open') void load().catch(() => undefined);
  },
  stop() {
    clearInterval(timer);
  },
};
