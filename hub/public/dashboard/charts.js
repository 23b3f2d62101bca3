// Satisfaction charts with Apache ECharts (served by the hub from node_modules): trend per day,
// level distribution, and average / good rate per window, staff member and service item, for the
// range chosen in the tab, from GET /api/stats (stats.js: range, key figures, exports, 通报).
import { t } from './i18n.js';
import { statsPanel } from './stats.js';

let ctx;
let stats = null;
const charts = {};

function chart(id) {
  const el = document.getElementById(id);
  charts[id] ??= globalThis.echarts.init(el, null, { renderer: 'canvas' });
  return charts[id];
}

// no animation: a monitoring screen shows the figures at once
const BASE = { animation: false };
const FONT = { fontFamily: '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif', fontSize: 14 };
const pct = (good, total) => (total ? Math.round((good / total) * 1000) / 10 : 0);

function barByGroup(id, rows) {
  chart(id).setOption({
    ...BASE, textStyle: FONT, tooltip: { trigger: 'axis' }, legend: { top: 0 },
    grid: { left: 48, right: 48, bottom: 40, top: 40 },
    xAxis: { type: 'category', data: rows.map((r) => r.name ?? r.id), axisLabel: { interval: 0, rotate: rows.length > 6 ? 30 : 0 } },
    yAxis: [{ type: 'value', name: t('ch.avg'), min: 0, max: 5 }, { type: 'value', name: t('ch.goodRate'), min: 0, max: 100 }],
    series: [
      { name: t('ch.avg'), type: 'bar', barMaxWidth: 56, data: rows.map((r) => r.avg ?? 0), itemStyle: { color: '#0b5cad' } },
      { name: t('ch.goodRate'), type: 'line', yAxisIndex: 1, symbolSize: 9, data: rows.map((r) => pct(r.good, r.total)), itemStyle: { color: '#1a7f37' } },
    ],
  }, true);
}

function render() {
  if (!stats || !globalThis.echarts) return;
  chart('chart-trend').setOption({
    ...BASE, textStyle: FONT, tooltip: { trigger: 'axis' }, legend: { top: 0 },
    grid: { left: 48, right: 48, bottom: 40, top: 40 },
    xAxis: { type: 'category', data: stats.days.map((d) => d.date.slice(5)) },
    yAxis: [{ type: 'value', name: t('ch.count'), minInterval: 1 }, { type: 'value', name: t('ch.goodRate'), min: 0, max: 100 }],
    series: [
      // 好评 is levels 3–5 (docs/statistics.md): the bar splits it into 满意/非常满意 and 基本满意
      { name: t('ch.satisfied'), type: 'bar', stack: 'n', barMaxWidth: 40, data: stats.days.map((d) => d.good - d.mid), itemStyle: { color: '#1a7f37' } },
      { name: t('level.3'), type: 'bar', stack: 'n', barMaxWidth: 40, data: stats.days.map((d) => d.mid), itemStyle: { color: '#b26a00' } },
      { name: t('rat.bad'), type: 'bar', stack: 'n', barMaxWidth: 40, data: stats.days.map((d) => d.bad), itemStyle: { color: '#c62828' } },
      { name: t('ch.goodRate'), type: 'line', yAxisIndex: 1, symbolSize: 9, connectNulls: true, data: stats.days.map((d) => (d.total ? pct(d.good, d.total) : null)), itemStyle: { color: '#0b5cad' } },
    ],
  }, true);
  const colors = { 1: '#8e0000', 2: '#c62828', 3: '#b26a00', 4: '#43a047', 5: '#1a7f37' };
  chart('chart-levels').setOption({
    ...BASE, textStyle: FONT, tooltip: { trigger: 'item' }, legend: { bottom: 0 },
    series: [{
      type: 'pie', radius: ['35%', '65%'],
      data: stats.levels.map((l) => ({ name: t(`level.${l.level}`), value: l.count, itemStyle: { color: colors[l.level] } })),
    }],
  }, true);
  barByGroup('chart-windows', stats.windows);
  barByGroup('chart-staff', stats.staff);
  barByGroup('chart-items', stats.items);
  document.getElementById('tab-charts').dataset.total = String(stats.days.reduce((n, d) => n + d.total, 0));
}

export const chartsView = {
  async init(c) {
    ctx = c;
    statsPanel.init(c, () => this.show());
    addEventListener('resize', () => { for (const ch of Object.values(charts)) ch.resize(); });
  },
  render() {
    statsPanel.render();
    render();
  },
  async show() {
    try {
      stats = await statsPanel.load();
      // charts measure their box: draw once the tab is visible
      requestAnimationFrame(() => {
        render();
        for (const ch of Object.values(charts)) ch.resize();
      });
    } catch (err) {
      ctx.fail(err);
    }
  },
  onEvent(type) {
    if (type === 'session.outcome' && !document.getElementById('tab-charts').hidden) void this.show();
  },
};
