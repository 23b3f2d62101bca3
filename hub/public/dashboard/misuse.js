// 异常标记: misuse flags raised by the hub's rules (bursts of 非常满意, off-hours, walk-up, staff-side
// patterns). A flag never changes a rating; operators and managers acknowledge flags with a note
// (audited). Polls while the tab is open. Strings are registered here (addStrings).
import { api, h } from './api.js';
import { addStrings, fmtTime, lang, t } from './i18n.js';

addStrings({
  'nav.misuse': '异常标记',
  'mis.rule.top-burst': '集中好评', 'mis.rule.off-hours': '非办公时间评价', 'mis.rule.walk-up': '无会话评价',
  'mis.rule.fast-after-open': '开启即评', 'mis.rule.staff-key-burst': '工作人员连续发起',
  'mis.desc.top-burst': '同一窗口短时间内出现多条“非常满意”', 'mis.desc.off-hours': '评价时间不在大厅开放时间内',
  'mis.desc.walk-up': '评价器在没有办件会话时接受的评价', 'mis.desc.fast-after-open': '会话开启后极短时间内即完成评价',
  'mis.desc.staff-key-burst': '同一评价器短时间内多次由工作人员按键发起评价',
  'mis.state': '状态', 'mis.state.open': '待确认', 'mis.state.acknowledged': '已确认', 'mis.state.all': '全部', 'mis.rule': '规则', 'mis.allRules': '全部规则',
  'mis.col.time': '评价时间', 'mis.col.where': '窗口 / 人员', 'mis.col.level': '评价', 'mis.col.origin': '来源', 'mis.col.detail': '说明',
  'mis.none': '暂无异常标记', 'mis.note': '核实情况（确认时必填）', 'mis.ack': '确认所选', 'mis.needNote': '请填写核实情况', 'mis.needPick': '请先勾选要确认的标记',
  'mis.acked': '已确认 {n} 条', 'mis.hint': '异常标记仅供核查，不会修改或删除评价；经复核确属恶意或误评的，请在差评处理中剔除。',
  'mis.origin.session': '办件会话', 'mis.origin.staff-key': '工作人员按键', 'mis.origin.walk-up': '无会话', 'mis.origin.mobile': '手机扫码', 'mis.origin.default': '默认评价',
  'mis.reason.closed-day': '非工作日', 'mis.reason.before-open': '开放前', 'mis.reason.after-close': '关闭后',
  'mis.d.burst': '{count} 条 / {withinS} 秒内（阈值 {threshold} 条）', 'mis.d.offHours': '北京时间 {localTime}，{reason}（开放时间 {hours}）',
  'mis.d.fast': '会话开启后 {s} 秒即评价（阈值 {th} 秒）', 'mis.d.walkUp': '无办件会话',
}, {
  'nav.misuse': 'Misuse flags',
  'mis.rule.top-burst': 'Top-rating burst', 'mis.rule.off-hours': 'Outside opening hours', 'mis.rule.walk-up': 'Walk-up rating',
  'mis.rule.fast-after-open': 'Rated right after open', 'mis.rule.staff-key-burst': 'Staff-key burst',
  'mis.desc.top-burst': 'Many "very satisfied" ratings at one window in a short time', 'mis.desc.off-hours': 'Given outside the hall\'s opening hours',
  'mis.desc.walk-up': 'Accepted by a device without any session', 'mis.desc.fast-after-open': 'Given faster than a person can read and press',
  'mis.desc.staff-key-burst': 'Staff started ratings back to back on one device',
  'mis.state': 'State', 'mis.state.open': 'Open', 'mis.state.acknowledged': 'Acknowledged', 'mis.state.all': 'All', 'mis.rule': 'Rule', 'mis.allRules': 'All rules',
  'mis.col.time': 'Given at', 'mis.col.where': 'Window / staff', 'mis.col.level': 'Rating', 'mis.col.origin': 'Origin', 'mis.col.detail': 'Detail',
  'mis.none': 'No flags', 'mis.note': 'What was found (required)', 'mis.ack': 'Acknowledge selected', 'mis.needNote': 'Please describe what was found', 'mis.needPick': 'Select flags first',
  'mis.acked': '{n} acknowledged', 'mis.hint': 'Flags never change or remove a rating; exclude a rating through the 差评 review if it proves malicious or mistaken.',
  'mis.origin.session': 'Session', 'mis.origin.staff-key': 'Staff key', 'mis.origin.walk-up': 'Walk-up', 'mis.origin.mobile': 'Phone (QR)', 'mis.origin.default': 'Default',
  'mis.reason.closed-day': 'closed day', 'mis.reason.before-open': 'before opening', 'mis.reason.after-close': 'after closing',
  'mis.d.burst': '{count} within {withinS} s (threshold {threshold})', 'mis.d.offHours': 'China time {localTime}, {reason} (hours {hours})',
  'mis.d.fast': '{s} s after the session opened (threshold {th} s)', 'mis.d.walkUp': 'no session',
});

const RULES = ['top-burst', 'off-hours', 'walk-up', 'fast-after-open', 'staff-key-burst'];
const fill = (s, vars) => s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));

let ctx;
let data = null;
let state = 'open';
let rule = '';
let timer = null;
let noteText = '';
const picked = new Set();

const mayAck = () => ctx.can(['operator', 'manager']);

function detailText(f) {
  const d = f.detail ?? {};
  switch (f.rule) {
    case 'top-burst':
    case 'staff-key-burst': return fill(t('mis.d.burst'), d);
    case 'off-hours': return fill(t('mis.d.offHours'), { ...d, reason: t(`mis.reason.${d.reason}`) });
    case 'fast-after-open': return fill(t('mis.d.fast'), { s: d.secondsAfterOpen, th: d.thresholdS });
    case 'walk-up': return t('mis.d.walkUp');
    default: return JSON.stringify(d);
  }
}

async function load() {
  const q = new URLSearchParams({ limit: '300' });
  if (state !== 'all') q.set('state', state);
  if (rule) q.set('rule', rule);
  data = await api('GET', `/api/misuse?${q}`);
  for (const id of [...picked]) if (!data.items.some((f) => f.id === id && f.state === 'open')) picked.delete(id);
  render();
}

async function acknowledge(note) {
  if (picked.size === 0) return ctx.toast(t('mis.needPick'), true);
  if (note.length < 2) return ctx.toast(t('mis.needNote'), true);
  try {
    const r = await api('POST', '/api/misuse/ack', { ids: [...picked], note });
    picked.clear();
    noteText = '';
    ctx.toast(fill(t('mis.acked'), { n: r.items.length }));
    await load();
  } catch (err) {
    ctx.fail(err);
  }
}

function render() {
  const root = document.getElementById('tab-misuse');
  if (!root || !data) return;
  const kpis = h('div', { class: 'kpis' }, RULES.map((r) => h('div', { class: 'kpi', 'data-kpi': r, title: t(`mis.desc.${r}`) },
    h('div', { class: 'n' }, data.open[r] ?? 0), h('div', { class: 'l' }, t(`mis.rule.${r}`)))));
  const stateSel = h('select', { id: 'mis-state', 'aria-label': t('mis.state'), onchange: (e) => { state = e.target.value; void load().catch((err) => ctx.fail(err)); } },
    ['open', 'acknowledged', 'all'].map((s) => h('option', { value: s, selected: s === state }, t(`mis.state.${s}`))));
  const ruleSel = h('select', { id: 'mis-rule', 'aria-label': t('mis.rule'), onchange: (e) => { rule = e.target.value; void load().catch((err) => ctx.fail(err)); } },
    h('option', { value: '' }, t('mis.allRules')), RULES.map((r) => h('option', { value: r, selected: r === rule }, t(`mis.rule.${r}`))));
  const rows = data.items.map((f) => h('tr', { 'data-flag': f.id, 'data-rule': f.rule, 'data-state': f.state },
    h('td', {}, f.state === 'open' && mayAck()
      ? h('input', { type: 'checkbox', 'aria-label': `#${f.id}`, checked: picked.has(f.id), onchange: (e) => { if (e.target.checked) picked.add(f.id); else picked.delete(f.id); } })
      : null),
    h('td', { title: t(`mis.desc.${f.rule}`) }, h('strong', {}, t(`mis.rule.${f.rule}`))),
    h('td', {}, fmtTime(f.givenAt)),
    h('td', {}, f.windowName ?? f.windowId, f.staffName ? h('div', {}, h('small', {}, f.staffName)) : null),
    h('td', {}, t(`level.${f.level}`)),
    h('td', {}, t(`mis.origin.${f.origin}`)),
    h('td', {}, detailText(f)),
    h('td', {}, t(`mis.state.${f.state}`), f.ackBy ? h('div', {}, h('small', {}, `${f.ackBy.replace(/^user:/, '')} · ${fmtTime(f.ackAt)} · ${f.ackNote}`)) : null)));
  // a poll re-renders the tab: the note being typed and its focus survive it
  const hadFocus = document.activeElement?.id === 'mis-note';
  const note = h('input', { id: 'mis-note', placeholder: t('mis.note'), maxlength: 500, 'aria-label': t('mis.note'), oninput: (e) => { noteText = e.target.value; } });
  note.value = noteText;
  root.replaceChildren(
    kpis,
    h('p', { class: 'hint' }, t('mis.hint')),
    h('div', { class: 'form inline' }, stateSel, ruleSel),
    h('table', { class: 'table', id: 'misuse-table' },
      h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, t('mis.rule')), h('th', {}, t('mis.col.time')), h('th', {}, t('mis.col.where')),
        h('th', {}, t('mis.col.level')), h('th', {}, t('mis.col.origin')), h('th', {}, t('mis.col.detail')), h('th', {}, t('mis.state')))),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 8, class: 'none' }, t('mis.none'))))),
    mayAck() ? h('div', { class: 'form inline' }, note,
      h('button', { type: 'button', class: 'primary', id: 'mis-ack', onclick: () => void acknowledge(note.value.trim()) }, t('mis.ack'))) : null);
  if (hadFocus) note.focus();
  root.dataset.lang = lang();
}

export const misuseView = {
  async init(c) {
    ctx = c;
  },
  render,
  async show() {
    clearInterval(timer);
    timer = setInterval(() => {
      if (document.getElementById('tab-misuse').hidden) clearInterval(timer);
      else void load().catch(() => undefined);
    }, 15_000);
    await load().catch((err) => ctx.fail(err));
  },
};
