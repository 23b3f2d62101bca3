// Forwarding to the provincial system: backlog and dead letters (retry / discard). The tab stays
// hidden when the hub runs without the forward plugin (its routes answer 404).
import { api, h } from './api.js';
import { fmtTime, t } from './i18n.js';

let ctx;
let present = false;
let backlog = null;
let dead = [];
let timer = null;

const mayList = () => ctx.can(['operator', 'manager', 'auditor']);
const mayAct = () => ctx.can(['operator', 'manager']);

function age(s) {
  if (!s) return `0 ${t('common.seconds')}`;
  if (s < 120) return `${s} ${t('common.seconds')}`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

async function load() {
  backlog = await api('GET', '/api/forward/backlog');
  dead = mayList() ? await api('GET', '/api/forward/dead-letters?limit=200') : [];
  render();
}

async function act(d, kind, note) {
  try {
    if (kind === 'discard') {
      if (!note) return ctx.toast(t('fwd.needNote'), true);
      await api('POST', `/api/forward/dead-letters/${d.id}/discard`, { note });
    } else {
      await api('POST', `/api/forward/dead-letters/${d.id}/retry`, note ? { note } : {});
    }
    await load();
  } catch (err) {
    ctx.fail(err);
  }
}

function render() {
  if (!present || !backlog) return;
  const kpi = (key, value) => h('div', { class: 'kpi', 'data-kpi': key }, h('div', { class: 'n' }, value), h('div', { class: 'l' }, t(`fwd.${key}`)));
  document.getElementById('fwd-backlog').replaceChildren(
    kpi('backlog', backlog.backlog), kpi('inFlight', backlog.inFlight), kpi('oldest', age(backlog.oldestAgeS)),
    kpi('delivered', backlog.delivered), kpi('deadOpen', backlog.deadOpen));
  const rows = dead.map((d) => {
    const note = h('input', { placeholder: t('fwd.note'), maxlength: 500, 'aria-label': t('fwd.note') });
    const open = d.state === 'open';
    return h('tr', { 'data-dead': d.id, 'data-state': d.state },
      h('td', {}, d.id),
      h('td', {}, h('div', {}, d.projectNo), h('small', {}, d.ratingId)),
      h('td', {}, h('strong', {}, d.code), h('div', {}, d.reason), h('small', {}, fmtTime(d.diedAt))),
      h('td', { 'data-role': 'state' }, t(`fwd.state.${d.state}`), d.resolvedBy ? h('div', {}, h('small', {}, `${d.resolvedBy} ${d.note ?? ''}`)) : null),
      h('td', {}, open && mayAct()
        ? [note, ' ', h('button', { type: 'button', class: 'primary', 'data-action': 'retry', onclick: () => act(d, 'retry', note.value.trim()) }, t('fwd.retry')),
          ' ', h('button', { type: 'button', class: 'danger', 'data-action': 'discard', onclick: () => act(d, 'discard', note.value.trim()) }, t('fwd.discard'))]
        : null));
  });
  document.getElementById('dead-rows').replaceChildren(...(rows.length ? rows : [h('tr', {}, h('td', { colspan: 5, class: 'none' }, t('fwd.noneDead')))]));
}

export const forwardView = {
  async init(c) {
    ctx = c;
    backlog = await api('GET', '/api/forward/backlog', undefined, { allow404: true }).catch(() => undefined);
    present = backlog !== undefined;
    document.querySelector('#tabs [data-tab="forward"]').hidden = !present;
  },
  render,
  async show() {
    if (!present) return;
    clearInterval(timer);
    timer = setInterval(() => {
      if (document.getElementById('tab-forward').hidden) clearInterval(timer);
      else void load().catch(() => undefined);
    }, 10_000);
    await load().catch((err) => ctx.fail(err));
  },
};
