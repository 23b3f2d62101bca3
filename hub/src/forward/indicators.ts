/**
 * The 差评 indicator list: fetched from the province (the adapter's indicator call) or read from a
 * file, validated as `IndicatorList`, stored with every version kept (forward_indicator_lists), and
 * pushed to devices with the `indicators.set` command. Ratings carry the version they used
 * (`indicatorVersion`), so an older list stays explainable.
 */
import { readFile } from 'node:fs/promises';
import { HcpError, IndicatorList, validate, type IndicatorList as List } from '@hcp/protocol';
import type { ProvinceAdapter } from './adapter.js';
import type { Db } from './outbox.js';
import type { ProvinceProfile } from './profile.js';
import type { Clock, FetchLike } from './worker.js';

export interface IndicatorSender {
  /** hub/src/broker/commands.ts CommandSender fits. */
  send(hallId: string, deviceId: string, type: 'indicators.set', args: { list: List }): Promise<unknown>;
}

export type RefreshResult =
  | { readonly kind: 'new-version'; readonly version: string }
  | { readonly kind: 'unchanged'; readonly version: string }
  | { readonly kind: 'no-source' };

export class IndicatorStore {
  private readonly insert;
  private readonly newest;
  private readonly all;

  constructor(
    private readonly db: Db,
    private readonly profile: ProvinceProfile,
    private readonly adapter: ProvinceAdapter,
    private readonly clock: Clock,
    private readonly fetchFn: FetchLike = (url, init) => fetch(url, init),
    /** Called after a version not seen before is stored (the hub hands it to its device settings). */
    private readonly onNewVersion: (list: List) => void = () => undefined,
  ) {
    this.insert = db.prepare('INSERT INTO forward_indicator_lists (version, source, list, fetched_ms) VALUES (?, ?, ?, ?) ON CONFLICT (version) DO NOTHING');
    this.newest = db.prepare('SELECT list FROM forward_indicator_lists ORDER BY id DESC LIMIT 1');
    this.all = db.prepare('SELECT version, source, fetched_ms AS fetchedMs FROM forward_indicator_lists ORDER BY id DESC');
  }

  current(): List | null {
    const r = this.newest.get() as { list: string } | undefined;
    return r ? (JSON.parse(r.list) as List) : null;
  }

  versions(): { version: string; source: string; fetchedMs: number }[] {
    return this.all.all() as { version: string; source: string; fetchedMs: number }[];
  }

  /** Stores a list (validated); true when it is a version not seen before. */
  store(input: unknown, source: string): boolean {
    const r = validate(IndicatorList, input);
    if (!r.ok) throw new HcpError('HCP_VALIDATION', { what: 'indicator list', errors: r.errors });
    const added = this.insert.run(r.value.version, source, JSON.stringify(r.value), this.clock.now()).changes === 1;
    if (added) this.onNewVersion(r.value);
    return added;
  }

  /**
   * Fetches the list from the profile's source. HCP_PROVINCE_UNAVAILABLE when the province cannot
   * be reached or answers unreadably, HCP_CONFIG_UNREADABLE for a missing file, HCP_VALIDATION for
   * a list of the wrong shape. Nothing stored on failure.
   */
  async refresh(): Promise<RefreshResult> {
    const src = this.profile.indicators;
    if (src.kind === 'none') return { kind: 'no-source' };
    let raw: unknown;
    let source: string;
    if (src.kind === 'file') {
      source = `file:${src.path}`;
      try {
        raw = JSON.parse(await readFile(src.path, 'utf8'));
      } catch (err) {
        throw new HcpError('HCP_CONFIG_UNREADABLE', { what: 'indicator list', path: src.path }, { cause: err });
      }
    } else {
      if (!this.adapter.indicatorsRequest || !this.adapter.parseIndicators) {
        throw new HcpError('HCP_CONFIG_INVALID', { errors: [{ field: '/indicators', rule: `adapter ${this.adapter.name} cannot fetch indicators` }] });
      }
      const held = this.current()?.version ?? null;
      const req = this.adapter.indicatorsRequest({ profile: this.profile, nowMs: this.clock.now() }, held);
      source = `endpoint:${req.url}`;
      let parsed: ReturnType<NonNullable<ProvinceAdapter['parseIndicators']>>;
      try {
        const res = await this.fetchFn(req.url, { method: req.method, headers: { ...req.headers }, ...(req.method === 'POST' ? { body: req.body } : {}), signal: AbortSignal.timeout(this.profile.retry.timeoutMs) });
        const body = await res.text();
        if (res.status >= 500 || res.status === 429 || res.status === 408) throw new Error(`HTTP ${res.status}: ${body.slice(0, 200)}`);
        parsed = this.adapter.parseIndicators({ status: res.status, body });
      } catch (err) {
        throw new HcpError('HCP_PROVINCE_UNAVAILABLE', { what: 'indicator list' }, { cause: err });
      }
      if (parsed === 'not-modified' && held) return { kind: 'unchanged', version: held };
      if (parsed === null || parsed === 'not-modified') throw new HcpError('HCP_PROVINCE_BAD_ANSWER', { what: 'indicator list' });
      raw = parsed;
    }
    const added = this.store(raw, source);
    const version = (raw as { version: string }).version;
    return added ? { kind: 'new-version', version } : { kind: 'unchanged', version };
  }

  /** Sends the current list to each device; returns the devices it could not reach. */
  async push(sender: IndicatorSender, hallId: string, deviceIds: readonly string[]): Promise<{ sent: string[]; failed: string[] }> {
    const list = this.current();
    if (!list) throw new HcpError('HCP_NOT_FOUND', { what: 'indicator list' });
    const sent: string[] = [];
    const failed: string[] = [];
    for (const id of deviceIds) {
      try {
        await sender.send(hallId, id, 'indicators.set', { list });
        sent.push(id);
      } catch {
        failed.push(id);
      }
    }
    return { sent, failed };
  }
}
