// Statistics tab helpers: the date range, the key figures, and the 导出/通报 area. Every figure
// comes from GET /api/stats (definitions: docs/statistics.md); exports and reports are plain
// links (the session cookie authorizes them), so the browser downloads or opens them itself.
import { api, h } from './api.js';
import { t } from './i18n.js';

const EXPORT_ROLES = ['operator', 'manager', 'auditor'];
let ctx;
let last = null;

/** Local (UTC+8) date YYYY-MM-DD of an instant, whatever the browser's own zone. */
function localDate(ms) {
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);
}
function addDays(date, n) {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

function range() {
  const from = document.getElementById('stats-from').value;
  const to = document.getElementById('stats-to').value;
  return { from, to };
}

const pct = (v) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%`);
const tally = (r) => ({ id: r.key, name: r.name ?? (r.key === null ? t('st.unset') : r.key), total: r.cases, good: r.good, bad: r.bad, avg: r.avg });

function renderKpis() {
  const el = document.getElementById('stats-kpis');
  if (!last) return;
  const x = last.total;
  const items = [
    ['st.cases', String(x.cases)], ['st.goodRate', pct(x.goodRate)], ['st.badRate', pct(x.badRate)], ['st.avg', x.avg === null ? '—' : x.avg.toFixed(2)],
    ['st.participation', pct(x.participationRate)], ['st.contactRate', pct(x.contactRate)], ['st.rectifyRate', pct(x.rectifyRate)], ['st.defaultShare', pct(x.defaultShare)],
  ];
  el.replaceChildren(...items.map(([k, v]) => h('div', { class: 'kpi', 'data-kpi': k }, h('div', { class: 'n' }, v), h('div', { class: 'l' }, t(k)))));
}

function setLinks() {
  const { from, to } = range();
  const q = `from=${from}&to=${to}`;
  const group = document.getElementById('exp-group').value;
  const period = document.getElementById('exp-period').value;
  const set = (id, href) => { document.getElementById(id).href = href; };
  set('exp-ratings-csv', `/api/exports/ratings?${q}&format=csv`);
  set('exp-ratings-xlsx', `/api/exports/ratings?${q}&format=xlsx`);
  set('exp-stats-csv', `/api/exports/stats?${q}&groupBy=${group}&period=${period}&format=csv`);
  set('exp-stats-xlsx', `/api/exports/stats?${q}&groupBy=${group}&period=${period}&format=xlsx`);
  // the 通报 of the week / month holding the range's last day
  set('rep-week-html', `/api/reports/bulletin?kind=week&date=${to}`);
  set('rep-week-pdf', `/api/reports/bulletin?kind=week&date=${to}&format=pdf`);
  set('rep-month-html', `/api/reports/bulletin?kind=month&date=${to}`);
  set('rep-month-pdf', `/api/reports/bulletin?kind=month&date=${to}&format=pdf`);
}

export const statsPanel = {
  /** `reload` is called when the range form is submitted. */
  init(c, reload) {
    ctx = c;
    document.getElementById('stats-range').addEventListener('submit', (e) => {
      e.preventDefault();
      void reload();
    });
    const today = localDate(Date.now());
    document.getElementById('stats-to').value = today;
    document.getElementById('stats-from').value = addDays(today, -29);
    document.getElementById('stats-export-files').hidden = !ctx.can(EXPORT_ROLES);
    for (const id of ['stats-from', 'stats-to', 'exp-group', 'exp-period']) document.getElementById(id).addEventListener('change', setLinks);
    setLinks();
  },
  /** Loads the chart data for the chosen range from /api/stats, in the shape charts.js draws. */
  async load() {
    const { from, to } = range();
    const q = (groupBy, period = 'all') => api('GET', `/api/stats?groupBy=${groupBy}&period=${period}&from=${from}&to=${to}`);
    const [days, windows, staff, items] = await Promise.all([q('hall', 'day'), q('window'), q('staff'), q('item')]);
    last = days;
    renderKpis();
    setLinks();
    return {
      from,
      days: days.rows.map((r) => ({ date: r.period, total: r.cases, good: r.good, mid: r.levels[2], bad: r.bad, avg: r.avg })),
      windows: windows.rows.map(tally),
      staff: staff.rows.filter((r) => r.key !== null).map(tally),
      items: items.rows.filter((r) => r.key !== null).sort((a, b) => b.cases - a.cases).slice(0, 30).map(tally),
      levels: days.total.levels.map((count, i) => ({ level: i + 1, count })).filter((l) => l.count > 0),
    };
  },
  render: renderKpis,
};
