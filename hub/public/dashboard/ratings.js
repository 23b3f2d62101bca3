// Live ratings feed, newest first. New ratings are fetched with the `after` cursor every few seconds
// and at once on session events. Ratings hold no personal data; none is requested.
import { api, h } from './api.js';
import { fmtTime, t } from './i18n.js';

let ctx;
let items = [];
let cursor = 0;
let loading = null;
const seen = new Set();
let unseenBad = 0;
let loadedOnce = false;

/** The count of 差评 that arrived while the feed was not on screen, on the tab button. */
function badge() {
  const tab = document.querySelector('#tabs [data-tab="ratings"]');
  tab.dataset.badge = unseenBad ? String(unseenBad) : '';
}
const KEEP = 200;

function cls(level) {
  return level >= 4 ? 'good' : level <= 2 ? 'bad' : 'mid';
}

async function fetchNew() {
  if (loading) return loading;
  loading = (async () => {
    const r = await api('GET', `/api/dashboard/ratings?after=${cursor}&limit=100`);
    cursor = r.cursor;
    // a new 差评 is announced wherever the operator is looking; the initial load is history, not news
    const bad = !loadedOnce ? [] : r.items.filter((x) => x.level <= 2);
    if (bad.length) {
      const x = bad[0];
      ctx.toast(`${t('rat.newBad')}：${[x.windowName ?? x.windowId, x.staffName].filter(Boolean).join(' · ')} · ${t(`level.${x.level}`)}`, true);
      if (document.getElementById('tab-ratings').hidden) unseenBad += bad.length;
      badge();
    }
    loadedOnce = true;
    if (r.items.length) {
      items = [...r.items, ...items].slice(0, KEEP);
      render();
    }
  })().finally(() => { loading = null; });
  return loading;
}

function row(r) {
  const c = cls(r.level);
  const fresh = !seen.has(r.id) && seen.size > 0;
  const stars = h('span', { class: 'stars', 'aria-label': `${r.level} / 5` },
    '★'.repeat(r.level), h('span', { class: 'dim' }, '★'.repeat(5 - r.level)));
  const who = [r.windowName ?? r.windowId, r.staffName ?? r.staffId].filter(Boolean).join(' · ');
  return h('li', { class: `${c}${fresh ? ' fresh' : ''}`, 'data-rating': r.id, 'data-level': r.level },
    h('span', { class: 'time' }, fmtTime(r.givenAt)),
    h('span', { class: 'who' }, who),
    h('span', {}, stars, ' ', h('span', { class: 'cls' }, `${t(`rat.${c}`)} · ${t(`level.${r.level}`)}`)),
    r.reasons.length ? h('span', { class: 'reasons' }, `${t('rat.reasons')}：`, r.reasons.map((x) => x.name ?? x.code).join('、')) : null);
}

function render() {
  const ol = document.getElementById('rating-feed');
  ol.replaceChildren(...(items.length ? items.map(row) : [h('li', { class: 'none' }, t('rat.none'))]));
  for (const r of items) seen.add(r.id);
}

export const ratingsView = {
  async init(c) {
    ctx = c;
    await fetchNew();
    render();
    setInterval(() => { void fetchNew().catch(() => undefined); }, 3000);
  },
  render,
  show() {
    unseenBad = 0;
    badge();
    return fetchNew().catch((err) => ctx.fail(err));
  },
  onEvent(type) {
    if (type === 'session.outcome' || type === 'rating.stored' || type === 'stream.open') void fetchNew().catch(() => undefined);
  },
};
