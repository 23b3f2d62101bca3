/**
 * Misuse flags as a hub part built on the extension API only: an ingest hook, a clock-correction
 * listener and routes. Ratings are judged shortly after their commit, in batches (MisuseFlags);
 * start() first judges what a stopped hub left unjudged, stop() judges what is queued.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Hub, HubExtension } from '../hub.js';
import { WorkingCalendar } from '../forward/calendar.js';
import { MisuseFlags } from './misuse.js';
import { misuseRoutes } from './routes.js';

export class MisuseExtension implements HubExtension {
  readonly name = 'misuse';
  flags: MisuseFlags | null = null;

  constructor(private readonly calendar?: WorkingCalendar) {}

  attach(hub: Hub): void {
    const s = hub.services;
    const flags = new MisuseFlags({
      db: s.db, clock: s.clock, log: s.log.child({ part: 'misuse' }), metrics: s.metrics, audit: s.audit, bus: s.bus,
      calendar: this.calendar ?? WorkingCalendar.china(),
    }, s.config.misuse);
    this.flags = flags;
    hub.onRatingStored(flags.hook);
    hub.onRatingsCorrected(flags.onCorrected);
    hub.registerHttp(misuseRoutes as unknown as FastifyPluginAsync<Record<string, unknown>>, { flags, options: s.config.misuse });
  }

  start(): void {
    this.flags?.start();
  }

  stop(): void {
    this.flags?.stop();
  }
}
