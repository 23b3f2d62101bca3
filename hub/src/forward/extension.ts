/**
 * Forwarding as a HubExtension (hub/src/hub.ts): whoever composes the hub process passes
 * `extensions: [forwardExtension({ profile })]` and the hub's composition root needs no knowledge
 * of forwarding. attach() builds the Forwarder from the hub's services, registers the ingest hook
 * (same transaction as the rating) and the routes; start()/stop() run the worker and the
 * default-rating job.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Hub, HubExtension } from '../hub.js';
import type { ProvinceAdapter } from './adapter.js';
import { WorkingCalendar } from './calendar.js';
import { Forwarder } from './forwarder.js';
import { hubActiveDevices, hubCorrectedGivenAt, hubUnratedSessions, sessionContextSource } from './hub-sources.js';
import { forwardRoutes } from './plugin.js';
import type { ProvinceProfile } from './profile.js';
import type { FetchLike } from './worker.js';

export interface ForwardExtensionOptions {
  readonly profile: ProvinceProfile;
  /** Default: the bundled China calendar (hub/data/calendar/cn.json). */
  readonly calendar?: WorkingCalendar;
  readonly random?: () => number;
  readonly fetch?: FetchLike;
  readonly extraAdapters?: readonly ProvinceAdapter[];
  /** How often the default-rating job looks (ms, default hourly). */
  readonly defaultEveryMs?: number;
}

export class ForwardExtension implements HubExtension {
  readonly name = 'forward';
  forwarder: Forwarder | null = null;

  constructor(private readonly opts: ForwardExtensionOptions) {}

  attach(hub: Hub): void {
    const s = hub.services;
    const o = this.opts;
    const devices = hubActiveDevices(s.db);
    const forwarder: Forwarder = new Forwarder({
      db: s.db, clock: s.clock, log: s.log.child({ part: 'forward' }), profile: o.profile, hallId: s.config.hallId, audit: s.audit,
      applicants: (id) => s.sessions.applicant(id),
      context: sessionContextSource(s.db),
      calendar: o.calendar ?? WorkingCalendar.china(),
      sessions: hubUnratedSessions(s.db),
      metrics: s.metrics,
      ...(o.random ? { random: o.random } : {}),
      ...(o.fetch ? { fetch: o.fetch } : {}),
      ...(o.extraAdapters ? { extraAdapters: o.extraAdapters } : {}),
      ...(o.defaultEveryMs ? { defaultEveryMs: o.defaultEveryMs } : {}),
      // A new list becomes the hub's device indicator setting (new and returning devices get it from
      // the hub's health check) and is sent to the active devices now.
      onIndicators: (list) => {
        s.deviceSettings.setIndicators(list, new Date(s.clock.now()).toISOString());
        void forwarder.pushIndicators(s.commands, devices(s.config.hallId)).then(
          (r) => s.log.info({ version: list.version, sent: r.sent.length, failed: r.failed.length }, 'forward: indicator list pushed to devices'),
          (err: unknown) => s.log.warn({ err }, 'forward: indicator push failed'),
        );
      },
    });
    this.forwarder = forwarder;
    hub.onRatingStored(forwarder.hook);
    const corrected = hubCorrectedGivenAt(s.db);
    hub.onRatingsCorrected((_tx, c) => {
      forwarder.onCorrected(c.ratingIds, corrected);
    });
    hub.registerHttp(forwardRoutes as unknown as FastifyPluginAsync<Record<string, unknown>>, {
      forwarder, sender: s.commands, devices: () => devices(s.config.hallId),
    });
  }

  start(): void {
    this.forwarder?.start();
  }

  async stop(): Promise<void> {
    await this.forwarder?.stop();
  }
}

export const forwardExtension = (opts: ForwardExtensionOptions): ForwardExtension => new ForwardExtension(opts);
