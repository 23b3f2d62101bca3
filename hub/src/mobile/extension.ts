/**
 * The phone rating page as a hub part built on the extension API only (hub.ingest for the shared
 * store path, hub.registerHttp for its routes), so it needs no special wiring in the composition
 * root beyond being listed there. Nothing to start or stop: it has no timers.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Hub, HubExtension } from '../hub.js';
import { WorkingCalendar } from '../forward/calendar.js';
import { MobileRatings } from './mobile.js';
import { mobileRoutes } from './routes.js';

export class MobileExtension implements HubExtension {
  readonly name = 'mobile';
  mobile: MobileRatings | null = null;

  constructor(private readonly calendar?: WorkingCalendar) {}

  attach(hub: Hub): void {
    const s = hub.services;
    const m = s.config.mobile;
    this.mobile = new MobileRatings({
      db: s.db, clock: s.clock, log: s.log.child({ part: 'mobile' }), metrics: s.metrics, store: hub.ingest,
      indicators: () => s.deviceSettings.indicators(),
      endOnDevice: (hallId, deviceId, sessionId, reason) => s.commands.send(hallId, deviceId, 'session.cancel', { sessionId, reason }),
      calendar: this.calendar ?? WorkingCalendar.china(),
    }, { linkKey: hub.secrets.linkKey, hallId: s.config.hallId, followUpWorkingDays: m.followUpWorkingDays, aspects: m.aspects });
    hub.registerHttp(mobileRoutes as unknown as FastifyPluginAsync<Record<string, unknown>>, { mobile: this.mobile, metrics: s.metrics, ratePerMin: m.ratePerMin });
  }
}
