// The phone rating page (二维码评价). Data comes in the page's JSON block (no extra request), the
// rating goes to POST /api/m/r/<token>/ratings with an idempotency key made once per rating, so a
// double tap or a retry after a lost answer stores one rating. No inline scripts or styles (CSP).

const app = document.getElementById('app');
const token = decodeURIComponent(location.pathname.split('/').pop() ?? '');
let view = JSON.parse(document.getElementById('m-data').textContent);

const STARS = { 5: '★★★★★', 4: '★★★★☆', 3: '★★★☆☆', 2: '★★☆☆☆', 1: '★☆☆☆☆' };
const MESSAGES = {
  HCP_SESSION_ALREADY_RATED: '本次服务已经评价过了（在评价器或手机上），每次服务只能首评一次。',
  HCP_FOLLOWUP_NOT_ALLOWED: '现在不能追加评价：追加评价期限已过或已追加过。',
  HCP_RATE_LINK_EXPIRED: '评价链接已过期，不能再评价。',
  HCP_RATE_LINK_INVALID: '评价链接无效，请重新扫描评价器上的二维码。',
  HCP_SESSION_CANCELLED: '本次服务已取消，无需评价。',
  HCP_BAD_REVIEW_NEEDS_REASON: '请至少选择一项不满意的原因，或填写您的意见。',
  HCP_RATE_LIMITED: '操作过于频繁，请稍后再试。',
  HCP_VALIDATION: '提交的内容有误，请检查后重试。',
  HCP_CONFLICT: '提交冲突，请刷新页面后重试。',
};

/** h('div', { class: 'x', onclick }, children...): elements without innerHTML, so nothing from data is parsed as HTML. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

const fmt = (iso) => {
  const d = new Date(Date.parse(iso) + 8 * 3600_000).toISOString();
  return `${d.slice(0, 10)} ${d.slice(11, 16)}`;
};
const levelName = (l) => view.levels.find((x) => x.level === l)?.name ?? String(l);

function randomKey() {
  const b = new Uint8Array(18);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// What the citizen is filling in. One key per rating: kept across retries of the same answer.
const draft = { level: null, indicators: new Set(), subScores: {}, text: '', key: randomKey(), sending: false };

function header() {
  const s = view.staff;
  return h('header', { class: 'card service' },
    h('p', { class: 'hall' }, view.hallName),
    h('h1', {}, view.item.name),
    h('div', { class: 'staff' },
      s?.photoUrl ? h('img', { src: s.photoUrl, alt: '', class: 'photo', width: 56, height: 56 }) : null,
      h('div', {},
        h('p', { class: 'where' }, view.window.name),
        s ? h('p', { class: 'who' }, s.name, ' ', h('span', { class: 'num' }, `工号 ${s.number}`), s.title ? h('span', { class: 'num' }, ` · ${s.title}`) : null) : null)),
    h('p', { class: 'when' }, `办理时间 ${fmt(view.servedAt)}`));
}

function given(label, g) {
  return h('p', { class: 'given', 'data-given': label },
    h('span', { class: 'stars' }, STARS[g.level]), ' ', h('strong', {}, levelName(g.level)),
    h('small', {}, ` · ${label} · ${g.channel} · ${fmt(g.givenAt)}`));
}

function statusCard() {
  const parts = [];
  if (view.first) parts.push(given(view.first.origin === 'default' ? '默认评价' : '首次评价', view.first));
  if (view.followUp) parts.push(given('追加评价', view.followUp));
  if (view.next === 'none') {
    const why = {
      'followed-up': '您已完成首次评价和追加评价，感谢您的反馈。',
      'follow-up-window-closed': `追加评价期限已过${view.followUpUntil ? `（截至 ${fmt(view.followUpUntil)}）` : ''}。`,
      'follow-up-off': '本大厅不开放追加评价。',
    }[view.closedReason] ?? '';
    return h('section', { class: 'card done', 'data-state': 'done' }, h('h2', {}, '本次服务已评价'), ...parts, why ? h('p', { class: 'hint' }, why) : null);
  }
  if (view.next === 'follow-up') {
    return h('section', { class: 'card done', 'data-state': 'rated' }, h('h2', {}, '本次服务已评价'), ...parts,
      h('p', { class: 'hint' }, `如有补充，可在 ${fmt(view.followUpUntil)} 前追加评价一次。`));
  }
  return null;
}

function levelButtons() {
  return h('div', { class: 'levels', role: 'radiogroup', 'aria-label': '满意程度' },
    view.levels.map((l) => h('button', {
      type: 'button', class: `level l${l.level}`, role: 'radio', 'aria-checked': String(draft.level === l.level), 'data-level': l.level,
      onclick: () => { draft.level = l.level; render(); },
    }, h('span', { class: 'stars', 'aria-hidden': 'true' }, STARS[l.level]), h('span', { class: 'name' }, l.name))));
}

function reasons() {
  if (draft.level === null || draft.level > 2) return null;
  const items = view.indicators.items;
  const groups = new Map();
  for (const i of items) {
    const g = i.group ?? '';
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push(i);
  }
  return h('section', { class: 'card reasons', 'data-part': 'reasons' },
    h('h2', {}, '请告诉我们哪里不满意'),
    items.length ? h('p', { class: 'hint' }, '可多选；也可以在下方填写意见') : h('p', { class: 'hint' }, '请在下方填写您不满意的原因'),
    [...groups.entries()].map(([g, list]) => h('div', { class: 'group' },
      g ? h('h3', {}, g) : null,
      h('div', { class: 'chips' }, list.map((i) => h('button', {
        type: 'button', class: 'chip', 'aria-pressed': String(draft.indicators.has(i.code)), 'data-indicator': i.code,
        onclick: () => {
          if (draft.indicators.has(i.code)) draft.indicators.delete(i.code);
          else draft.indicators.add(i.code);
          render();
        },
      }, i.name))))));
}

function aspects() {
  if (draft.level === null || view.aspects.length === 0) return null;
  return h('details', { class: 'card aspects', open: Object.keys(draft.subScores).length > 0 },
    h('summary', {}, '分项评价（选填）'),
    view.aspects.map((a) => h('div', { class: 'aspect', 'data-aspect': a.code },
      h('span', { class: 'aname' }, a.name),
      h('span', { class: 'mini', role: 'radiogroup', 'aria-label': a.name }, [1, 2, 3, 4, 5].map((n) => h('button', {
        type: 'button', class: 'star', role: 'radio', 'aria-checked': String(draft.subScores[a.code] === n), 'aria-label': `${n} 星`,
        'data-on': String((draft.subScores[a.code] ?? 0) >= n),
        onclick: () => {
          if (draft.subScores[a.code] === n) delete draft.subScores[a.code];
          else draft.subScores[a.code] = n;
          render();
        },
      }, '★'))))));
}

function textBox() {
  if (draft.level === null) return null;
  const bad = draft.level <= 2;
  const ta = h('textarea', { id: 'text', maxlength: 500, rows: 4, placeholder: bad ? '请描述您遇到的问题（未选择原因时必填）' : '您的意见和建议（选填）' });
  ta.value = draft.text;
  ta.addEventListener('input', () => {
    draft.text = ta.value;
    counter.textContent = `${ta.value.length}/500`;
  });
  const counter = h('small', { class: 'counter' }, `${draft.text.length}/500`);
  return h('section', { class: 'card' }, h('label', { for: 'text', class: 'label' }, '意见建议'), ta, counter);
}

function message(code) {
  return MESSAGES[code] ?? '提交失败，请稍后再试。';
}

let problem = null;

async function submit() {
  if (draft.sending || draft.level === null) return;
  const text = draft.text.trim();
  if (draft.level <= 2 && draft.indicators.size === 0 && text === '') {
    problem = { code: 'HCP_BAD_REVIEW_NEEDS_REASON', text: message('HCP_BAD_REVIEW_NEEDS_REASON') };
    render();
    return;
  }
  const body = {
    submissionId: draft.key,
    assessNumber: view.next === 'follow-up' ? 2 : 1,
    level: draft.level,
    ...(draft.level <= 2 && draft.indicators.size ? { indicators: [...draft.indicators] } : {}),
    ...(Object.keys(draft.subScores).length ? { subScores: draft.subScores } : {}),
    ...(text ? { text } : {}),
  };
  draft.sending = true;
  problem = null;
  render();
  // a lost answer is retried with the same key: the hub stores the rating once either way
  for (let attempt = 0; attempt < 3; attempt++) {
    let res;
    try {
      res = await fetch(`/api/m/r/${encodeURIComponent(token)}/ratings`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), credentials: 'omit',
      });
    } catch {
      await new Promise((r) => setTimeout(r, 800 * (attempt + 1)));
      continue;
    }
    const answer = await res.json().catch(() => ({}));
    draft.sending = false;
    if (res.ok) {
      view = answer.view;
      thanks = { level: answer.level, assessNumber: answer.assessNumber };
      Object.assign(draft, { level: null, indicators: new Set(), subScores: {}, text: '', key: randomKey() });
      render();
      return;
    }
    problem = { code: answer.code ?? `HTTP ${res.status}`, text: message(answer.code) };
    if (answer.code === 'HCP_SESSION_ALREADY_RATED' || answer.code === 'HCP_FOLLOWUP_NOT_ALLOWED') {
      // someone rated meanwhile (at the device): show what is true now
      const fresh = await fetch(`/api/m/r/${encodeURIComponent(token)}`, { credentials: 'omit' }).then((r) => (r.ok ? r.json() : null)).catch(() => null);
      if (fresh) view = fresh;
    }
    render();
    return;
  }
  draft.sending = false;
  problem = { code: 'NETWORK', text: '网络连接失败，请检查网络后再次提交（不会重复评价）。' };
  render();
}

let thanks = null;

function render() {
  const parts = [header()];
  if (thanks) {
    parts.push(h('section', { class: 'card thanks', role: 'status', 'data-state': 'thanks' },
      h('p', { class: 'big' }, '✓'),
      h('h2', {}, thanks.assessNumber === 2 ? '追加评价已提交' : '感谢您的评价！'),
      h('p', {}, h('span', { class: 'stars' }, STARS[thanks.level]), ' ', levelName(thanks.level)),
      view.next === 'follow-up' ? h('p', { class: 'hint' }, `如有补充，可在 ${fmt(view.followUpUntil)} 前再次打开此链接追加评价。`) : null));
  } else {
    const status = statusCard();
    if (status) parts.push(status);
    if (view.next !== 'none') {
      parts.push(h('section', { class: 'card ask' },
        h('h2', {}, view.next === 'follow-up' ? '追加评价' : '请对本次服务进行评价'),
        levelButtons()));
      parts.push(reasons(), aspects(), textBox());
      if (problem) parts.push(h('p', { class: 'card problem', role: 'alert', 'data-code': problem.code }, problem.text, h('small', {}, ` (${problem.code})`)));
      parts.push(h('button', {
        type: 'button', class: 'submit', id: 'submit', disabled: draft.level === null || draft.sending,
        onclick: () => void submit(),
      }, draft.sending ? '正在提交…' : view.next === 'follow-up' ? '提交追加评价' : '提交评价'));
    } else if (problem) {
      parts.push(h('p', { class: 'card problem', role: 'alert', 'data-code': problem.code }, problem.text, h('small', {}, ` (${problem.code})`)));
    }
  }
  parts.push(h('footer', { class: 'foot' }, '政务服务“好差评” · 您的评价信息依法保密'));
  const focus = document.activeElement?.id;
  app.replaceChildren(...parts.filter(Boolean));
  if (focus === 'text') document.getElementById('text')?.focus();
  app.dataset.ready = 'true';
}

render();
