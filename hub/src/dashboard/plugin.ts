/**
 * The operator dashboard (运营管理台): pages and static assets from hub/public/dashboard, ECharts
 * from node_modules (no CDN), and the dashboard's own read APIs (api.ts). Pages and assets are
 * public (they hold no data); every figure comes from the JSON API behind the hub's role checks.
 * `/` redirects to `/login` without a valid session.
 * Register inside the hub's app scope: `fastify.register(dashboardPlugin, { services })`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../services.js';
import { dashboardApi } from './api.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json; charset=utf-8',
};

/** hub/public/dashboard, the same from src/dashboard (tests, tsx) and dist/dashboard (built). */
export const PUBLIC_DIR = fileURLToPath(new URL('../../public/dashboard/', import.meta.url));

interface Asset { readonly body: Buffer; readonly type: string }

/** Reads the asset folder once: only files that exist at start are served, so no path from a request reaches the file system. */
function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type) assets.set(name, { body: readFileSync(dir + name), type });
  }
  const echarts = createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js');
  assets.set('echarts.min.js', { body: readFileSync(echarts), type: TYPES['.js']! });
  return assets;
}

export const dashboardPlugin: FastifyPluginAsyncTypebox<{ services: Services; publicDir?: string }> = async (app, opts) => {
  const assets = loadAssets(opts.publicDir ?? PUBLIC_DIR);
  const page = (name: string) => {
    const a = assets.get(name);
    if (!a) throw new Error(`dashboard asset ${name} missing`);
    return a;
  };
  // scripts only from here; ECharts sets inline styles on its own elements
  const html = {
    'cache-control': 'no-store', 'x-frame-options': 'DENY', 'referrer-policy': 'same-origin', 'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  };

  app.get('/', { config: { public: true }, schema: { hide: true } }, async (req, reply) => {
    if (!req.principal || req.principal.kind !== 'user') return reply.redirect('/login', 302);
    return reply.headers(html).type(page('index.html').type).send(page('index.html').body);
  });
  app.get('/login', { config: { public: true }, schema: { hide: true } }, async (_req, reply) =>
    reply.headers(html).type(page('login.html').type).send(page('login.html').body));
  app.get('/dashboard/:file', {
    config: { public: true },
    schema: { hide: true, params: Type.Object({ file: Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{0,63}$' }) }) },
  }, async (req, reply) => {
    const a = assets.get(req.params.file);
    if (!a || req.params.file.endsWith('.html')) return reply.callNotFound();
    return reply.header('cache-control', 'no-cache').type(a.type).send(a.body);
  });

  await app.register(dashboardApi, { services: opts.services });
};
