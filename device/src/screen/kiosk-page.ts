/** The kiosk page: static HTML + a small script that renders frames pushed over SSE. */
export const KIOSK_PAGE = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>服务评价</title>
<style>
  * { box-sizing: border-box; }
  body { margin: 0; font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif; background: #f3f6fa; color: #1c2733; user-select: none; }
  header { display: flex; justify-content: space-between; align-items: center; padding: 12px 24px; background: #c8102e; color: #fff; font-size: 24px; }
  #offline { display: none; background: #ffd54f; color: #5d4037; border-radius: 16px; padding: 4px 14px; font-size: 18px; }
  #offline.on { display: inline-block; }
  #banner { display: none; margin: 12px 24px; padding: 12px; background: #e3f2fd; border-radius: 8px; font-size: 22px; }
  #banner.on { display: block; }
  main { padding: 24px; text-align: center; }
  h1 { font-size: 40px; margin: 16px 0; }
  .card { display: inline-flex; gap: 20px; align-items: center; background: #fff; border-radius: 16px; padding: 16px 28px; box-shadow: 0 2px 8px #0001; margin-bottom: 16px; text-align: left; }
  .card img { width: 96px; height: 120px; object-fit: cover; border-radius: 8px; background: #dde3ea; }
  .card .name { font-size: 32px; font-weight: bold; } .card .no { font-size: 20px; color: #5b6b7b; }
  .stars { display: flex; justify-content: center; gap: 16px; flex-wrap: wrap; margin: 20px 0; }
  button { font: inherit; border: none; cursor: pointer; }
  .star { width: 170px; height: 150px; border-radius: 20px; background: #fff; box-shadow: 0 2px 8px #0002; font-size: 24px; }
  .star .icons { font-size: 30px; color: #f5a623; display: block; margin-bottom: 8px; }
  .star.bad { background: #fff5f5; }
  .reasons { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 14px; margin: 20px auto; max-width: 1100px; }
  .reason { min-height: 90px; border-radius: 14px; background: #fff; box-shadow: 0 2px 6px #0002; font-size: 24px; }
  .reason.on { background: #c8102e; color: #fff; }
  .submit { margin-top: 12px; min-width: 320px; min-height: 90px; border-radius: 45px; background: #c8102e; color: #fff; font-size: 30px; }
  .submit:disabled { background: #bbb; }
  .qr { display: inline-block; width: 220px; height: 220px; background: #fff; padding: 8px; border-radius: 8px; }
  .qr svg { width: 100%; height: 100%; }
  .code { font-size: 64px; letter-spacing: 8px; font-family: monospace; margin: 16px 0; }
  .hint { font-size: 22px; color: #5b6b7b; }
  .thanks { font-size: 56px; color: #2e7d32; margin-top: 80px; }
  .refusing { font-size: 36px; color: #b71c1c; margin-top: 80px; }
</style>
</head>
<body>
<header><span>政务服务 好差评</span><span id="offline" data-testid="offline">离线</span></header>
<div id="banner" data-testid="banner"></div>
<main id="app" data-testid="app"><p class="hint">正在连接…</p></main>
<script>
const LABELS = { 5: '非常满意', 4: '满意', 3: '基本满意', 2: '不满意', 1: '非常不满意' };
const app = document.getElementById('app');
let selected = new Set();
let currentKind = null;
function esc(s) { return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]); }
function card(staff) {
  if (!staff) return '';
  const photo = staff.photoUrl ? '<img alt="" src="' + esc(staff.photoUrl) + '">' : '<img alt="">';
  return '<div class="card" data-testid="staff-card">' + photo + '<div><div class="name">' + esc(staff.name) + '</div><div class="no">工号 ' + esc(staff.number) + '</div>' +
    (staff.title ? '<div class="no">' + esc(staff.title) + '</div>' : '') + '</div></div>';
}
function stars() {
  return '<div class="stars">' + [5, 4, 3, 2, 1].map((l) =>
    '<button class="star' + (l <= 2 ? ' bad' : '') + '" data-testid="star-' + l + '" data-level="' + l + '"><span class="icons">' + '★'.repeat(l) + '</span>' + LABELS[l] + '</button>').join('') + '</div>';
}
async function send(body) {
  try { await fetch('/api/input', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }); } catch (e) { /* the next frame tells the truth */ }
}
function render(f) {
  document.getElementById('offline').classList.toggle('on', !!f.offline);
  const b = document.getElementById('banner'); b.textContent = f.banner || ''; b.classList.toggle('on', !!f.banner);
  const v = f.view;
  if (v.kind !== currentKind) selected = new Set();
  currentKind = v.kind;
  app.dataset.view = v.kind;
  let h = '';
  switch (v.kind) {
    case 'unprovisioned':
      h = '<h1>设备未激活</h1><p class="hint">请技术人员在大厅管理平台输入下方激活码，或扫描二维码</p><div class="code" data-testid="claim-code">' + esc(v.claimCode) + '</div>' +
        (f.qrSvg ? '<div class="qr" data-testid="qr">' + f.qrSvg + '</div>' : '') + (v.note ? '<p class="refusing">' + esc(v.note) + '</p>' : '');
      break;
    case 'idle':
      h = card(v.staff) + '<h1>' + (v.walkUp ? '欢迎评价，请点击星级' : '欢迎光临') + '</h1>' + (v.walkUp ? stars() : '');
      break;
    case 'prompt':
      h = card(v.staff) + (v.item ? '<p class="hint">办理事项：' + esc(v.item.name) + (v.caseCount > 1 ? '（共 ' + v.caseCount + ' 件）' : '') + '</p>' : '') +
        '<h1>请对本次服务进行评价</h1>' + stars() + (f.qrSvg ? '<div><div class="qr" data-testid="qr">' + f.qrSvg + '</div><p class="hint">扫码稍后评价</p></div>' : '');
      break;
    case 'reasons':
      h = '<h1>请选择不满意的原因</h1><p class="hint">您选择了「' + LABELS[v.level] + '」，可多选</p><div class="reasons">' +
        v.items.map((i) => '<button class="reason" data-testid="reason-' + esc(i.code) + '" data-code="' + esc(i.code) + '">' + esc(i.name) + '</button>').join('') +
        '</div><button class="submit" data-testid="submit" disabled>提交评价</button>';
      break;
    case 'thanks':
      h = '<div class="thanks" data-testid="thanks">感谢您的评价！</div><p class="hint">' + LABELS[v.level] + '</p>';
      break;
    case 'refusing':
      h = '<div class="refusing" data-testid="refusing">' + esc(v.message) + '</div>';
      break;
  }
  app.innerHTML = h;
}
app.addEventListener('click', (ev) => {
  const t = ev.target.closest('button'); if (!t) return;
  if (t.dataset.level) return void send({ kind: 'star', level: Number(t.dataset.level) });
  if (t.dataset.code) {
    const c = t.dataset.code; if (selected.has(c)) selected.delete(c); else selected.add(c);
    t.classList.toggle('on', selected.has(c));
    const s = app.querySelector('.submit'); if (s) s.disabled = selected.size === 0;
    return;
  }
  if (t.classList.contains('submit') && selected.size) return void send({ kind: 'reason', codes: [...selected] });
});
const es = new EventSource('/events');
es.addEventListener('frame', (e) => render(JSON.parse(e.data)));
es.onerror = () => document.getElementById('offline').classList.add('on');
</script>
</body>
</html>
`;
