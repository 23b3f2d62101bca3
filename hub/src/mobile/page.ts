/**
 * The phone page's HTML, rendered on the hub: the rating page carries its data as a JSON data block
 * (not executed, so the strict CSP holds) for hub/public/mobile/rate.js; an error page is complete
 * without any script. Every value from the database is HTML-escaped here.
 */
import { ERRORS, type ErrorCode } from '@hcp/protocol';
import type { MobileView } from './mobile.js';

/** Nothing but same-origin script, style, images and fetches; no inline anything, no framing. */
export const MOBILE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const MOBILE_HEADERS = {
  'cache-control': 'no-store',
  'content-security-policy': MOBILE_CSP,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  // the token is in the path: never hand it to another site
  'referrer-policy': 'no-referrer',
} as const;

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const head = (title: string): string => `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="referrer" content="no-referrer">
<meta name="format-detection" content="telephone=no">
<title>${esc(title)}</title>
<link rel="stylesheet" href="/m/rate.css">
</head>`;

/** The rating page: a readable header without script, the rest built by rate.js from the data block. */
export function ratingPage(view: MobileView): string {
  const json = JSON.stringify(view).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return `${head('服务评价 · 政务服务好差评')}
<body>
<main id="app" class="app" data-next="${esc(view.next)}">
<header class="card service">
  <p class="hall">${esc(view.hallName)}</p>
  <h1>${esc(view.item.name)}</h1>
  <p class="where"><span>${esc(view.window.name)}</span>${view.staff ? ` · <span>${esc(view.staff.name)}</span> <span class="num">工号 ${esc(view.staff.number)}</span>` : ''}</p>
</header>
<noscript><p class="card notice">请允许浏览器运行脚本后进行评价。</p></noscript>
</main>
<script type="application/json" id="m-data">${json}</script>
<script type="module" src="/m/rate.js"></script>
</body>
</html>
`;
}

const ERROR_TEXT: Partial<Record<ErrorCode, { title: string; body: string }>> = {
  HCP_RATE_LINK_INVALID: { title: '评价链接无效', body: '无法识别此评价链接。请重新扫描评价器屏幕上的二维码；如仍无法打开，请向窗口工作人员求助。' },
  HCP_RATE_LINK_EXPIRED: { title: '评价链接已过期', body: '此评价链接已超过有效期，不能再评价。如需反映意见，可拨打政务服务热线 12345 或通过政务服务网评价。' },
  HCP_SESSION_CANCELLED: { title: '本次服务已取消', body: '该办件的评价已被取消，无需评价。如有疑问，请向窗口工作人员咨询。' },
  HCP_RATE_LIMITED: { title: '请求过于频繁', body: '您的操作过于频繁，请稍等一分钟后再试。' },
};

/** A complete error page in Chinese with the catalog code, for links that cannot be rated. */
export function errorPage(code: ErrorCode, extra?: string): string {
  const t = ERROR_TEXT[code] ?? { title: '暂时无法评价', body: '服务暂时不可用，请稍后再试。' };
  return `${head(t.title)}
<body>
<main class="app">
<section class="card error" role="alert" data-code="${esc(code)}">
  <h1>${esc(t.title)}</h1>
  <p>${esc(t.body)}</p>
  ${extra ? `<p class="sub">${esc(extra)}</p>` : ''}
  <p class="code">错误代码：${esc(code)}<br><small>${esc(ERRORS[code].message)}</small></p>
</section>
</main>
</body>
</html>
`;
}
