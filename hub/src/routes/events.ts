/** The event stream (SSE) for dashboards, the alert list, and device settings / indicator pushes. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../services.js';
import { ROLE } from '../http/roles.js';
import { actorOf } from '../http/auth.js';
import { IndicatorsIn, SettingsIn } from '../registry/schemas.js';
import { DeviceRuntimeSettings, IndicatorList } from '@hcp/protocol';

export const eventRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services: s }) => {
  // open streams are ended before the server closes, or close() would wait for them forever
  const streams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...streams]) end();
  });
  app.get('/api/events', {
    config: { roles: ROLE.read },
    schema: { tags: ['health'], summary: 'server-sent events: alert.raised, alert.cleared, device.online, device.offline, session.outcome' },
  }, (req, reply) => {
    const res = reply.raw;
    reply.hijack();
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    const write = (e: { id: number; type: string; at: string; data: unknown }): void => {
      res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify({ at: e.at, ...(e.data as object) })}\n\n`);
    };
    res.write(': connected\n\n');
    const last = Number(req.headers['last-event-id'] ?? NaN);
    if (Number.isFinite(last)) for (const e of s.bus.since(last)) write(e);
    const off = s.bus.on(write);
    const ping = setInterval(() => res.write(': ping\n\n'), 25_000);
    const close = (): void => {
      clearInterval(ping);
      off();
      streams.delete(end);
    };
    const end = (): void => {
      close();
      res.end();
    };
    streams.add(end);
    req.raw.on('close', close);
  });

  app.get('/api/alerts', {
    config: { roles: ROLE.read },
    schema: { tags: ['health'], querystring: Type.Object({ state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('all')])) }, { additionalProperties: false }) },
  }, async (req) => s.alerts.list(req.query.state ?? 'open'));

  app.get('/api/settings/devices', { config: { roles: ROLE.read }, schema: { tags: ['settings'], response: { 200: Type.Object({ settings: DeviceRuntimeSettings, version: Type.Integer(), indicators: Type.Union([IndicatorList, Type.Null()]) }) } } }, async () => {
    const v = s.deviceSettings.settings();
    return { settings: v.value, version: v.version, indicators: s.deviceSettings.indicators() };
  });

  // Pushes go to online devices now; the others get them at their next `online` (health.ts catch-up).
  app.put('/api/settings/devices', { config: { roles: ROLE.manage }, schema: { tags: ['settings'], body: SettingsIn, response: { 200: Type.Object({ version: Type.Integer(), pushed: Type.Integer() }) } } }, async (req) => {
    const at = new Date(s.clock.now()).toISOString();
    const { version, devices } = s.db.transaction(() => {
      const version = s.deviceSettings.setSettings(req.body.settings, at);
      s.audit.record(actorOf(req), 'settings.devices', null, req.body.settings);
      const devices = s.db.prepare("SELECT id, hall_id AS hallId FROM devices WHERE state = 'active' AND online_state = 'online'").all() as { id: string; hallId: string }[];
      s.db.prepare("UPDATE devices SET settings_version = ? WHERE state = 'active' AND online_state = 'online'").run(version);
      return { version, devices };
    })();
    await Promise.allSettled(devices.map((d) => s.commands.send(d.hallId, d.id, 'config.update', { settings: req.body.settings })));
    return { version, pushed: devices.length };
  });

  app.put('/api/indicators', { config: { roles: ROLE.manage }, schema: { tags: ['settings'], summary: '差评 indicator list for devices', body: IndicatorsIn, response: { 200: Type.Object({ pushed: Type.Integer() }) } } }, async (req) => {
    const at = new Date(s.clock.now()).toISOString();
    const devices = s.db.transaction(() => {
      s.deviceSettings.setIndicators(req.body.list, at);
      s.audit.record(actorOf(req), 'settings.indicators', req.body.list.version, { items: req.body.list.items.length });
      return s.db.prepare("SELECT id, hall_id AS hallId FROM devices WHERE state = 'active' AND online_state = 'online'").all() as { id: string; hallId: string }[];
    })();
    await Promise.allSettled(devices.map((d) => s.commands.send(d.hallId, d.id, 'indicators.set', { list: req.body.list })));
    return { pushed: devices.length };
  });
};
