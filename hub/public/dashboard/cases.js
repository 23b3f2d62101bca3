// 差评处理: the 差评 case list (overdue first), a case's detail with its history, and the actions its
// state allows for the logged-in role: 回访 → 整改 → 办结, 无法整改, 延期 (manager), 申诉 (operator /
// manager on the staff member's behalf), 复核 (manager, not whoever filed the appeal). Every action
// sends the version it was shown; a 409 HCP_CASE_STALE reloads the case. Live via SSE case.* events.
// Strings are registered here (addStrings) so i18n.js needs no case-specific lines.
import { api, ApiError, h } from './api.js';
import { addStrings, fmtTime, t } from './i18n.js';

addStrings({
  'nav.cases': '差评处理',
  'case.kpi.open': '待处理', 'case.kpi.overdue': '已逾期', 'case.kpi.appeals': '待复核申诉', 'case.kpi.reviewsOverdue': '复核超期',
  'case.filter.state': '状态', 'case.filter.all': '全部', 'case.filter.open': '未办结', 'case.filter.closed': '已关闭', 'case.filter.overdue': '仅看逾期',
  'case.filter.window': '窗口', 'case.filter.staff': '工作人员', 'case.filter.from': '起始日期', 'case.filter.to': '截止日期', 'case.filter.apply': '查询',
  'case.col.id': '工单号', 'case.col.level': '评价', 'case.col.window': '窗口 / 人员', 'case.col.opened': '受理时间', 'case.col.due': '办理期限', 'case.col.state': '状态',
  'case.none': '暂无差评工单', 'case.pick': '请从左侧选择工单', 'case.total': '共 {n} 件',
  'case.state.new': '待回访', 'case.state.contacted': '已回访', 'case.state.rectifying': '整改中', 'case.state.done': '已办结', 'case.state.unable': '无法整改',
  'case.overdue': '逾期', 'case.appealPending': '申诉中', 'case.excluded': '已剔除统计',
  'case.d.rating': '评价', 'case.d.givenAt': '评价时间', 'case.d.reasons': '差评原因', 'case.d.text': '评价内容', 'case.d.item': '办理事项', 'case.d.caseNumbers': '办件编号',
  'case.d.applicant': '评价人', 'case.reveal': '查看联系方式（留痕）', 'case.revealed': '已记录查看', 'case.d.opened': '受理时间', 'case.d.due': '办理期限', 'case.d.dueEnd': '{d} 当日内', 'case.d.extensions': '延期次数',
  'case.d.appealUntil': '申诉截止', 'case.d.closeReason': '关闭原因', 'case.d.version': '版本', 'case.d.channel': '评价渠道',
  'case.appeal.upheldReason.mistaken': '申诉成立（误评）', 'case.appeal.upheldReason.malicious': '申诉成立（恶意差评）',
  'case.act.title': '办理', 'case.act.contact': '记录回访', 'case.act.contactNote': '回访记录（联系方式、群众诉求、核实情况）',
  'case.act.rectify': '开始整改', 'case.act.measure': '整改措施', 'case.act.complete': '整改办结', 'case.act.result': '整改结果及向群众反馈情况',
  'case.act.unable': '无法整改并关闭', 'case.act.unableReason': '无法整改的原因（必填）', 'case.act.noPersonal': '请勿填写评价人身份证号、手机号等个人信息',
  'case.ext.title': '延期', 'case.ext.days': '延长工作日数', 'case.ext.reason': '延期理由（必填）', 'case.ext.submit': '申请延期并生效', 'case.ext.left': '还可延期 {n} 次',
  'case.appeal.title': '申诉', 'case.appeal.claim': '申诉类型', 'case.appeal.claim.mistaken': '误评', 'case.appeal.claim.malicious': '恶意差评',
  'case.appeal.grounds': '申诉理由及证据', 'case.appeal.staff': '申诉人（工作人员编号）', 'case.appeal.submit': '提交申诉',
  'case.appeal.closed': '申诉期已过', 'case.appeal.state.pending': '待复核', 'case.appeal.state.upheld': '申诉成立', 'case.appeal.state.rejected': '申诉驳回',
  'case.appeal.filed': '申诉提交', 'case.appeal.reviewDue': '复核期限', 'case.appeal.decided': '复核结论',
  'case.review.title': '复核', 'case.review.decision': '复核结论', 'case.review.upheld': '申诉成立，剔除该评价', 'case.review.rejected': '驳回申诉，继续整改',
  'case.review.reason': '认定为', 'case.review.note': '复核意见（必填）', 'case.review.submit': '提交复核', 'case.review.self': '本人提交的申诉须由其他管理者复核',
  'case.history': '办理记录', 'case.needText': '请填写必填内容',
  'case.step.opened': '差评受理', 'case.step.contacted': '回访', 'case.step.rectifying': '开始整改', 'case.step.done': '办结', 'case.step.unable': '无法整改',
  'case.step.extended': '延期', 'case.step.appealed': '申诉', 'case.step.appeal-upheld': '复核：申诉成立', 'case.step.appeal-rejected': '复核：驳回', 'case.step.overdue': '逾期提醒', 'case.step.review-overdue': '复核超期提醒',
  'case.step.extendedTo': '期限延至 {d}',
  'case.toast.opened': '新差评工单', 'case.toast.overdue': '差评工单逾期', 'case.toast.saved': '已保存', 'case.toast.stale': '工单已被他人更新，已重新加载',
  'case.actor.hub': '系统',
}, {
  'nav.cases': 'Bad reviews',
  'case.kpi.open': 'Open', 'case.kpi.overdue': 'Overdue', 'case.kpi.appeals': 'Appeals to review', 'case.kpi.reviewsOverdue': 'Reviews overdue',
  'case.filter.state': 'State', 'case.filter.all': 'All', 'case.filter.open': 'Open', 'case.filter.closed': 'Closed', 'case.filter.overdue': 'Overdue only',
  'case.filter.window': 'Window', 'case.filter.staff': 'Staff', 'case.filter.from': 'From', 'case.filter.to': 'To', 'case.filter.apply': 'Search',
  'case.col.id': 'Case', 'case.col.level': 'Rating', 'case.col.window': 'Window / staff', 'case.col.opened': 'Opened', 'case.col.due': 'Due', 'case.col.state': 'State',
  'case.none': 'No bad-review cases', 'case.pick': 'Pick a case on the left', 'case.total': '{n} cases',
  'case.state.new': 'New', 'case.state.contacted': 'Contacted', 'case.state.rectifying': 'Rectifying', 'case.state.done': 'Done', 'case.state.unable': 'Unable to rectify',
  'case.overdue': 'Overdue', 'case.appealPending': 'Under appeal', 'case.excluded': 'Excluded from statistics',
  'case.d.rating': 'Rating', 'case.d.givenAt': 'Rated at', 'case.d.reasons': 'Reasons', 'case.d.text': 'Comment', 'case.d.item': 'Service item', 'case.d.caseNumbers': 'Case numbers',
  'case.d.applicant': 'Citizen', 'case.reveal': 'Show contact (audited)', 'case.revealed': 'access recorded', 'case.d.opened': 'Opened', 'case.d.due': 'Due', 'case.d.dueEnd': 'by end of {d}', 'case.d.extensions': 'Extensions',
  'case.d.appealUntil': 'Appeal until', 'case.d.closeReason': 'Close reason', 'case.d.version': 'Version', 'case.d.channel': 'Channel',
  'case.appeal.upheldReason.mistaken': 'Appeal upheld (mistaken)', 'case.appeal.upheldReason.malicious': 'Appeal upheld (malicious)',
  'case.act.title': 'Follow-up', 'case.act.contact': 'Record contact', 'case.act.contactNote': 'Contact note (how reached, what the citizen said, findings)',
  'case.act.rectify': 'Start rectification', 'case.act.measure': 'Rectification measure', 'case.act.complete': 'Complete', 'case.act.result': 'Result and feedback to the citizen',
  'case.act.unable': 'Close as unable', 'case.act.unableReason': 'Why it cannot be rectified (required)', 'case.act.noPersonal': 'Do not enter the citizen\'s ID or phone number',
  'case.ext.title': 'Extension', 'case.ext.days': 'Working days to add', 'case.ext.reason': 'Reason (required)', 'case.ext.submit': 'Extend deadline', 'case.ext.left': '{n} extensions left',
  'case.appeal.title': 'Appeal', 'case.appeal.claim': 'Claim', 'case.appeal.claim.mistaken': 'Mistaken rating', 'case.appeal.claim.malicious': 'Malicious rating',
  'case.appeal.grounds': 'Grounds and evidence', 'case.appeal.staff': 'Appellant (staff id)', 'case.appeal.submit': 'File appeal',
  'case.appeal.closed': 'Appeal window closed', 'case.appeal.state.pending': 'Pending review', 'case.appeal.state.upheld': 'Upheld', 'case.appeal.state.rejected': 'Rejected',
  'case.appeal.filed': 'Filed', 'case.appeal.reviewDue': 'Review due', 'case.appeal.decided': 'Decision',
  'case.review.title': 'Review', 'case.review.decision': 'Decision', 'case.review.upheld': 'Uphold: exclude the rating', 'case.review.rejected': 'Reject: follow-up continues',
  'case.review.reason': 'Found to be', 'case.review.note': 'Review note (required)', 'case.review.submit': 'Submit review', 'case.review.self': 'Another manager must review your own appeal',
  'case.history': 'History', 'case.needText': 'Please fill in the required text',
  'case.step.opened': 'Opened', 'case.step.contacted': 'Contacted', 'case.step.rectifying': 'Rectifying', 'case.step.done': 'Done', 'case.step.unable': 'Unable to rectify',
  'case.step.extended': 'Extended', 'case.step.appealed': 'Appeal filed', 'case.step.appeal-upheld': 'Review: upheld', 'case.step.appeal-rejected': 'Review: rejected', 'case.step.overdue': 'Overdue', 'case.step.review-overdue': 'Review overdue',
  'case.step.extendedTo': 'due by end of {d}',
  'case.toast.opened': 'New bad-review case', 'case.toast.overdue': 'Case overdue', 'case.toast.saved': 'Saved', 'case.toast.stale': 'Someone else updated the case; reloaded',
  'case.actor.hub': 'system',
});

const OPEN = ['new', 'contacted', 'rectifying'];
let ctx;
let summary = null;
let list = { total: 0, items: [] };
let current = null;
let windows = [];
let staff = [];
/** 差评 indicator code → name, from the hub's indicator list (the provincial list it caches). */
let indicatorNames = new Map();
const filter = { state: 'open', overdue: false, windowId: '', staffId: '', from: '', to: '' };

const may = {
  work: () => ctx.can(['operator', 'manager']),
  extend: () => ctx.can(['manager']),
  appeal: () => ctx.can(['operator', 'manager']),
  review: () => ctx.can(['manager']),
};
const fill = (s, vars) => s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
/** The last day a deadline allows (it is the China midnight that ends that day). */
const lastDay = (iso) => new Date(Date.parse(iso) - 1 + 8 * 3_600_000).toISOString().slice(0, 10);
const actorName = (a) => (a === 'hub' ? t('case.actor.hub') : a.replace(/^(user|token):/, ''));
const stateBadge = (s) => h('span', { class: `badge case-${s}`, 'data-badge': 'state' }, t(`case.state.${s}`));

async function loadList() {
  const q = new URLSearchParams({ limit: '200' });
  if (filter.state) q.set('state', filter.state);
  if (filter.overdue) q.set('overdue', 'true');
  for (const k of ['windowId', 'staffId', 'from', 'to']) if (filter[k]) q.set(k, filter[k]);
  const [l, s] = await Promise.all([api('GET', `/api/cases?${q}`), api('GET', '/api/cases/summary')]);
  list = l;
  summary = s;
  renderList();
}

async function openCase(id) {
  current = await api('GET', `/api/cases/${encodeURIComponent(id)}`);
  renderDetail();
  renderList();
}

async function act(path, body) {
  try {
    current = await api('POST', `/api/cases/${encodeURIComponent(current.id)}/${path}`, { version: current.version, ...body });
    ctx.toast(t('case.toast.saved'));
    renderDetail();
    await loadList();
  } catch (err) {
    if (err instanceof ApiError && err.code === 'HCP_CASE_STALE') {
      ctx.toast(t('case.toast.stale'), true);
      await openCase(current.id);
    } else ctx.fail(err);
  }
}

function renderKpis() {
  const el = document.getElementById('case-kpis');
  if (!el || !summary) return;
  const kpi = (key, n, warn) => h('div', { class: `kpi${warn && n ? ' warn' : ''}`, 'data-kpi': key }, h('div', { class: 'n' }, n), h('div', { class: 'l' }, t(`case.kpi.${key}`)));
  el.replaceChildren(kpi('open', summary.open), kpi('overdue', summary.overdue, true), kpi('appeals', summary.appealsPending), kpi('reviewsOverdue', summary.reviewsOverdue, true));
  // the tab shows how many cases wait for someone
  document.querySelector('#tabs [data-tab="cases"]').dataset.badge = summary.open ? String(summary.open) : '';
}

function renderList() {
  renderKpis();
  const body = document.getElementById('case-rows');
  if (!body) return;
  const rows = list.items.map((c) => h('tr', {
    'data-case': c.id, 'data-state': c.state, class: `case-row${c.overdue ? ' overdue' : ''}${current?.id === c.id ? ' selected' : ''}`,
    tabindex: 0, onclick: () => void openCase(c.id).catch((e) => ctx.fail(e)), onkeydown: (e) => { if (e.key === 'Enter') void openCase(c.id).catch((er) => ctx.fail(er)); },
  },
  h('td', {}, h('strong', {}, c.id)),
  h('td', {}, h('span', { class: 'case-level' }, '★'.repeat(c.level)), ' ', t(`level.${c.level}`)),
  h('td', {}, c.windowName ?? c.windowId, h('div', {}, h('small', {}, c.staffName ?? c.staffId ?? '—'))),
  h('td', {}, fmtTime(c.openedAt)),
  h('td', {}, lastDay(c.dueAt)),
  h('td', {}, stateBadge(c.state),
    c.overdue ? [' ', h('span', { class: 'badge case-overdue', 'data-badge': 'overdue' }, t('case.overdue'))] : null,
    c.appeal.state === 'pending' ? [' ', h('span', { class: 'badge case-appeal', 'data-badge': 'appeal' }, t('case.appealPending'))] : null,
    c.excluded ? [' ', h('span', { class: 'badge', 'data-badge': 'excluded' }, t('case.excluded'))] : null)));
  body.replaceChildren(...(rows.length ? rows : [h('tr', {}, h('td', { colspan: 6, class: 'none' }, t('case.none')))]));
  document.getElementById('case-total').textContent = fill(t('case.total'), { n: list.total });
}

function textForm(name, label, button, onSubmit, opts = {}) {
  const ta = h('textarea', { name: 'note', rows: 3, maxlength: 2000, required: true, placeholder: t('case.act.noPersonal'), 'aria-label': label });
  const form = h('form', { class: 'form case-form', 'data-form': name },
    h('label', {}, h('span', {}, label), ta),
    ...(opts.extra ?? []),
    h('button', { type: 'submit', class: opts.danger ? 'danger' : 'primary', ...(opts.to ? { 'data-to': opts.to } : {}) }, button));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const note = ta.value.trim();
    if (!note) return ctx.toast(t('case.needText'), true);
    void onSubmit(note, form);
  });
  return form;
}

function actions(c) {
  const out = [];
  const open = OPEN.includes(c.state);
  if (open && may.work()) {
    const next = { new: ['contacted', 'case.act.contactNote', 'case.act.contact'], contacted: ['rectifying', 'case.act.measure', 'case.act.rectify'], rectifying: ['done', 'case.act.result', 'case.act.complete'] }[c.state];
    out.push(h('h3', {}, t('case.act.title')),
      textForm('transition', t(next[1]), t(next[2]), (note) => act('transitions', { to: next[0], note }), { to: next[0] }),
      h('details', { class: 'case-unable' }, h('summary', {}, t('case.act.unable')),
        textForm('unable', t('case.act.unableReason'), t('case.act.unable'), (note) => act('transitions', { to: 'unable', note }), { danger: true, to: 'unable' })));
  }
  if (open && may.extend() && summary) {
    const left = summary.policy.maxExtensions - c.extensions;
    if (left > 0) {
      const days = h('input', { name: 'days', type: 'number', min: 1, max: summary.policy.maxExtensionDays, value: 5, required: true });
      out.push(h('h3', {}, t('case.ext.title'), ' ', h('small', {}, fill(t('case.ext.left'), { n: left }))),
        textForm('extend', t('case.ext.reason'), t('case.ext.submit'), (reason) => act('extend', { days: Number(days.value), reason }),
          { extra: [h('label', {}, h('span', {}, t('case.ext.days')), days)] }));
    }
  }
  if (c.appeal.state === 'none' && may.appeal()) {
    if (Date.now() < Date.parse(c.appealClosesAt)) {
      const claim = h('select', { name: 'claim' }, h('option', { value: 'mistaken' }, t('case.appeal.claim.mistaken')), h('option', { value: 'malicious' }, t('case.appeal.claim.malicious')));
      const staffId = h('input', { name: 'staffId', value: c.staffId ?? '', maxlength: 64, pattern: '[A-Za-z0-9][A-Za-z0-9_\\-]{0,63}' });
      out.push(h('h3', {}, t('case.appeal.title')), textForm('appeal', t('case.appeal.grounds'), t('case.appeal.submit'),
        (grounds) => act('appeal', { claim: claim.value, grounds, ...(staffId.value.trim() ? { staffId: staffId.value.trim() } : {}) }),
        { extra: [h('label', {}, h('span', {}, t('case.appeal.claim')), claim), h('label', {}, h('span', {}, t('case.appeal.staff')), staffId)] }));
    } else out.push(h('p', { class: 'muted', 'data-role': 'appeal-closed' }, t('case.appeal.closed')));
  }
  if (c.appeal.state === 'pending' && may.review()) {
    if (c.appeal.filedBy === ctx.me.name) out.push(h('p', { class: 'warn', 'data-role': 'self-review' }, t('case.review.self')));
    else {
      const decision = h('select', { name: 'decision' }, h('option', { value: 'upheld' }, t('case.review.upheld')), h('option', { value: 'rejected' }, t('case.review.rejected')));
      const reason = h('select', { name: 'reason' }, h('option', { value: 'mistaken' }, t('case.appeal.claim.mistaken')), h('option', { value: 'malicious' }, t('case.appeal.claim.malicious')));
      reason.value = c.appeal.claim;
      out.push(h('h3', {}, t('case.review.title')), textForm('review', t('case.review.note'), t('case.review.submit'),
        (note) => act('review', { decision: decision.value, note, ...(decision.value === 'upheld' ? { reason: reason.value } : {}) }),
        { extra: [h('label', {}, h('span', {}, t('case.review.decision')), decision), h('label', {}, h('span', {}, t('case.review.reason')), reason)] }));
    }
  }
  return out;
}

// 回访 needs the citizen's phone: managers and auditors may reveal it (POST /api/sessions/:id/applicant,
// reason recorded in the audit log, docs/personal-data.md). Shown in place, never stored by the page.
function revealButton(c) {
  const b = h('button', { type: 'button', class: 'link', 'data-action': 'reveal' }, t('case.reveal'));
  b.addEventListener('click', () => {
    b.disabled = true;
    api('POST', `/api/sessions/${encodeURIComponent(c.sessionId)}/applicant`, { reason: `差评回访 ${c.id}` })
      .then((r) => {
        const el = document.querySelector('#case-detail [data-role="applicant"]');
        if (el) el.textContent = [r.applicant.name, r.applicant.phone].filter(Boolean).join(' · ');
        b.replaceWith(h('span', { class: 'note' }, t('case.revealed')));
      })
      .catch((err) => {
        b.disabled = false;
        ctx.fail(err);
      });
  });
  return b;
}

function renderDetail() {
  const el = document.getElementById('case-detail');
  if (!el) return;
  const c = current;
  if (!c) {
    el.replaceChildren(h('p', { class: 'none' }, t('case.pick')));
    return;
  }
  const row = (key, ...v) => [h('dt', {}, t(key)), h('dd', {}, ...v)];
  const reason = c.closeReason?.startsWith('appeal-upheld:') ? t(`case.appeal.upheldReason.${c.closeReason.split(':')[1]}`) : c.closeReason;
  const a = c.appeal;
  el.replaceChildren(h('article', { class: `card case-card${c.overdue ? ' offline' : ''}`, 'data-case': c.id, 'data-state': c.state, 'data-version': c.version },
    h('div', { class: 'head' }, h('span', { class: 'win' }, c.id), h('span', {}, stateBadge(c.state),
      c.overdue ? [' ', h('span', { class: 'badge case-overdue', 'data-badge': 'overdue' }, t('case.overdue'))] : null,
      c.excluded ? [' ', h('span', { class: 'badge', 'data-badge': 'excluded' }, t('case.excluded'))] : null)),
    h('dl', {},
      row('case.d.rating', h('span', { class: 'case-level' }, '★'.repeat(c.level)), ' ', t(`level.${c.level}`)),
      row('case.col.window', `${c.windowName ?? c.windowId} · ${c.staffName ?? c.staffId ?? '—'}`),
      c.rating ? row('case.d.givenAt', fmtTime(c.rating.givenAt)) : [],
      c.rating?.indicators.length ? row('case.d.reasons', c.rating.indicators.map((x) => indicatorNames.get(x) ?? x).join('、')) : [],
      c.rating?.text ? row('case.d.text', c.rating.text) : [],
      c.session ? row('case.d.item', c.session.itemName) : [],
      c.rating?.caseNumbers.length ? row('case.d.caseNumbers', c.rating.caseNumbers.join('、')) : [],
      c.session?.applicant ? row('case.d.applicant', h('span', { 'data-role': 'applicant' }, [c.session.applicant.name, c.session.applicant.phone].filter(Boolean).join(' · ')),
        c.sessionId && ctx.can(['manager', 'auditor']) ? [' ', revealButton(c)] : null) : [],
      row('case.d.opened', fmtTime(c.openedAt)),
      row('case.d.due', h('span', { 'data-role': 'due' }, fill(t('case.d.dueEnd'), { d: lastDay(c.dueAt) }))),
      row('case.d.extensions', String(c.extensions)),
      row('case.d.appealUntil', fill(t('case.d.dueEnd'), { d: lastDay(c.appealClosesAt) })),
      reason ? row('case.d.closeReason', reason) : [],
      a.state !== 'none' ? [
        ...row('case.appeal.title', h('span', { 'data-role': 'appeal-state' }, t(`case.appeal.state.${a.state}`)), ' · ', t(`case.appeal.claim.${a.claim}`)),
        ...row('case.appeal.filed', `${fmtTime(a.filedAt)} · ${actorName(a.filedBy)}${a.staffId ? ` · ${a.staffId}` : ''}`),
        ...(a.state === 'pending' ? row('case.appeal.reviewDue', fill(t('case.d.dueEnd'), { d: lastDay(a.reviewDueAt) })) : []),
        ...(a.decidedAt ? row('case.appeal.decided', `${fmtTime(a.decidedAt)} · ${actorName(a.decidedBy)} · ${a.decisionNote ?? ''}`) : []),
      ] : [])),
  ...actions(c),
  h('h3', {}, t('case.history')),
  h('ol', { class: 'case-steps', id: 'case-steps' }, ...c.steps.map((s) => h('li', { 'data-step': s.kind },
    h('span', { class: 'time' }, fmtTime(s.at)), ' ', h('strong', {}, t(`case.step.${s.kind}`)), ' · ', actorName(s.actor),
    s.kind === 'extended' && s.detail?.toDueAt ? [' · ', fill(t('case.step.extendedTo'), { d: lastDay(s.detail.toDueAt) })] : null,
    s.note ? h('div', { class: 'note' }, s.note) : null))));
}

function renderShell() {
  const sec = document.getElementById('tab-cases');
  const opt = (v, key) => h('option', { value: v }, t(key));
  const state = h('select', { name: 'state', id: 'case-filter-state' }, opt('', 'case.filter.all'), opt('open', 'case.filter.open'), opt('closed', 'case.filter.closed'),
    ...['new', 'contacted', 'rectifying', 'done', 'unable'].map((s) => opt(s, `case.state.${s}`)));
  state.value = filter.state;
  const overdue = h('input', { type: 'checkbox', name: 'overdue', id: 'case-filter-overdue' });
  overdue.checked = filter.overdue;
  const win = h('select', { name: 'windowId' }, h('option', { value: '' }, t('case.filter.all')), ...windows.map((w) => h('option', { value: w.id }, w.name)));
  win.value = filter.windowId;
  const st = h('select', { name: 'staffId' }, h('option', { value: '' }, t('case.filter.all')), ...staff.map((s) => h('option', { value: s.id }, `${s.name}（${s.number}）`)));
  st.value = filter.staffId;
  const from = h('input', { type: 'date', name: 'from', value: filter.from });
  const to = h('input', { type: 'date', name: 'to', value: filter.to });
  const form = h('form', { class: 'form inline', id: 'case-filter' },
    h('label', {}, h('span', {}, t('case.filter.state')), state),
    h('label', { class: 'check' }, overdue, h('span', {}, t('case.filter.overdue'))),
    h('label', {}, h('span', {}, t('case.filter.window')), win),
    h('label', {}, h('span', {}, t('case.filter.staff')), st),
    h('label', {}, h('span', {}, t('case.filter.from')), from),
    h('label', {}, h('span', {}, t('case.filter.to')), to),
    h('button', { type: 'submit', class: 'primary' }, t('case.filter.apply')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    Object.assign(filter, { state: state.value, overdue: overdue.checked, windowId: win.value, staffId: st.value, from: from.value, to: to.value });
    void loadList().catch((err) => ctx.fail(err));
  });
  sec.replaceChildren(
    h('div', { class: 'kpis', id: 'case-kpis' }),
    form,
    h('div', { class: 'split case-split' },
      h('div', {}, h('p', { class: 'summary', id: 'case-total' }),
        h('table', { class: 'table', id: 'case-table' },
          h('thead', {}, h('tr', {}, ...['id', 'level', 'window', 'opened', 'due', 'state'].map((k) => h('th', {}, t(`case.col.${k}`))))),
          h('tbody', { id: 'case-rows' }))),
      h('aside', { id: 'case-detail', 'aria-live': 'polite' })));
  renderList();
  renderDetail();
}

export const casesView = {
  async init(c) {
    ctx = c;
    if (!ctx.can(['operator', 'manager', 'auditor'])) return;
    let settings;
    [windows, staff, settings] = await Promise.all([
      api('GET', '/api/windows').catch(() => []), api('GET', '/api/staff').catch(() => []), api('GET', '/api/settings/devices').catch(() => null),
    ]);
    indicatorNames = new Map((settings?.indicators?.items ?? []).map((x) => [x.code, x.name]));
    renderShell();
    await loadList().catch(() => undefined);
  },
  render() {
    if (!ctx?.can(['operator', 'manager', 'auditor'])) return;
    renderShell();
  },
  async show() {
    if (!ctx.can(['operator', 'manager', 'auditor'])) return;
    await loadList().catch((err) => ctx.fail(err));
    if (current) await openCase(current.id).catch((err) => ctx.fail(err));
  },
  onEvent(type, data) {
    if (!ctx?.can(['operator', 'manager', 'auditor']) || !type.startsWith('case.') && type !== 'stream.open') return;
    if (type === 'case.opened') ctx.toast(`${t('case.toast.opened')}：${data.caseId} · ${t(`level.${data.level}`)}`, true);
    if (type === 'case.overdue') ctx.toast(`${t('case.toast.overdue')}：${data.caseId}`, true);
    void loadList().catch(() => undefined);
    // someone else changed the case on screen: show the new version (forms would send a stale one)
    if (current && data.caseId === current.id && data.version !== current.version) void openCase(current.id).catch(() => undefined);
  },
};
