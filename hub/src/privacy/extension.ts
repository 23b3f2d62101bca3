/** The applicant reveal route as a hub part built on the extension API (no timers). */
import type { FastifyPluginAsync } from 'fastify';
import type { Hub, HubExtension } from '../hub.js';
import { revealRoutes } from './routes.js';

export class PrivacyExtension implements HubExtension {
  readonly name = 'privacy';

  attach(hub: Hub): void {
    const s = hub.services;
    hub.registerHttp(revealRoutes as unknown as FastifyPluginAsync<Record<string, unknown>>, {
      db: s.db, clock: s.clock, audit: s.audit, metrics: s.metrics, applicant: (id: string) => s.sessions.applicant(id),
      // a person checking a few cases, not a bulk export
      ratePerMin: 30,
    });
  }
}
