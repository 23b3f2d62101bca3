/**
 * The province adapter interface. One file per province under adapters/; register it in
 * adapters/index.ts. The worker owns transport (HTTP, timeouts, retries); an adapter is pure.
 *
 * Obligations of an adapter:
 * - `map` renames / reshapes one national record for the wire (most provinces: identity);
 * - `envelope` wraps a batch; `sign` turns it into the HTTP request (headers, signature);
 * - `parse` returns exactly one outcome per record, in the order given, and never throws:
 *   an answer it cannot read makes every record `retryable` with HCP_PROVINCE_BAD_ANSWER.
 * - "duplicate" (same projectNo + assessNumber seen before) must be reported as `duplicate`,
 *   which the worker counts as delivered.
 */
import type { ProvinceProfile } from './profile.js';
import type { NationalRecord } from './mapping.js';

export interface AdapterContext {
  readonly profile: ProvinceProfile;
  /** epoch ms from the injected clock (signatures carry time). */
  readonly nowMs: number;
}

export interface HttpRequest {
  readonly url: string;
  readonly method: 'POST' | 'GET';
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * A batch request from the JSON fast path: the body may be UTF-8 bytes already. Writing each
 * record's text into one buffer costs ~0.6 µs per record; joining 500 records into one string and
 * encoding that cost ~2 µs (measured on the 2-core bench machine, 436-byte records).
 */
export interface BatchRequest extends Omit<HttpRequest, 'body'> {
  readonly body: string | Uint8Array;
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

export type RecordOutcome =
  | { readonly kind: 'accepted' }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'rejected'; readonly code: string; readonly reason: string }
  /** `isolate`: the whole batch was refused; resend these records one by one to find the bad one. */
  | { readonly kind: 'retryable'; readonly code: string; readonly reason: string; readonly isolate?: boolean };

/** What an answer is matched by: the province's idempotency key. */
export interface RecordKey {
  readonly projectNo: string;
  readonly assessNumber: string;
}

export interface ProvinceAdapter {
  readonly name: string;
  map(record: NationalRecord, ctx: AdapterContext): Record<string, string>;
  envelope(records: readonly Record<string, string>[], ctx: AdapterContext): unknown;
  sign(envelope: unknown, ctx: AdapterContext): HttpRequest;
  parse(answer: HttpAnswer, records: readonly RecordKey[], ctx: AdapterContext): RecordOutcome[];
  /**
   * Optional fast path: the same request as `sign(envelope(records.map(map)))`, built from each
   * national record's JSON text. Only for adapters whose `map` is the identity; the worker then
   * never parses or re-serialises records (see recordTemplate in mapping.ts).
   */
  requestFromJson?(recordJsons: readonly string[], ctx: AdapterContext): BatchRequest;
  /** The call that fetches the 差评 indicator list; `etag` = version held now (may answer not-modified). */
  indicatorsRequest?(ctx: AdapterContext, etag: string | null): HttpRequest;
  /** The raw list object (validated by the caller), 'not-modified', or null when unreadable. */
  parseIndicators?(answer: HttpAnswer): Record<string, unknown> | 'not-modified' | null;
}

/** map → envelope → sign for one batch. */
export function buildRequest(adapter: ProvinceAdapter, records: readonly NationalRecord[], ctx: AdapterContext): HttpRequest {
  return adapter.sign(adapter.envelope(records.map((r) => adapter.map(r, ctx)), ctx), ctx);
}

/** `prefix` + the JSON texts joined by commas + `suffix`, as UTF-8 bytes, without building the joined string. */
export function jsonListBytes(prefix: string, jsons: readonly string[], suffix: string): Buffer {
  let max = prefix.length + suffix.length + jsons.length;
  for (const j of jsons) max += j.length;
  // a UTF-16 code unit is at most 3 UTF-8 bytes
  const buf = Buffer.allocUnsafe(max * 3);
  let at = buf.write(prefix, 0, 'utf8');
  for (let i = 0; i < jsons.length; i++) {
    if (i > 0) buf[at++] = 0x2c; // ,
    at += buf.write(jsons[i]!, at, 'utf8');
  }
  at += buf.write(suffix, at, 'utf8');
  return buf.subarray(0, at);
}

export const recordKey = (projectNo: string, assessNumber: string): string => `${projectNo}\u0000${assessNumber}`;

export function allOutcomes(n: number, outcome: RecordOutcome): RecordOutcome[] {
  return Array.from({ length: n }, () => outcome);
}

/**
 * Shared HTTP-status rules. 408/429/5xx: the outage ends. 401/403/404/415: the hub's configuration
 * (credentials, URL) is wrong for every record alike: keep them queued and visible rather than
 * dead-letter the whole backlog; fixing the profile releases them.
 */
export function statusOutcome(status: number, body: string, n: number): RecordOutcome[] | null {
  if (status >= 200 && status < 300) return null;
  const reason = `HTTP ${status}: ${body.slice(0, 200)}`;
  if (status === 408 || status === 429 || status >= 500) {
    return allOutcomes(n, { kind: 'retryable', code: 'HCP_PROVINCE_UNAVAILABLE', reason });
  }
  if (status === 401 || status === 403 || status === 404 || status === 415) {
    return allOutcomes(n, { kind: 'retryable', code: 'HCP_PROVINCE_CONFIG', reason });
  }
  // Any other 4xx refuses the batch as a whole: isolate to find the record at fault.
  return allOutcomes(n, n > 1
    ? { kind: 'retryable', code: 'HCP_PROVINCE_REJECTED', reason, isolate: true }
    : { kind: 'rejected', code: `HTTP_${status}`, reason });
}

/**
 * Per-record results → outcomes in request order. A result names its record by `index` and echoes
 * (projectNo, assessNumber); the echo must agree, else the answer is not trusted for that record.
 * Without an index, the key alone is used. A record without a trustworthy result is retryable.
 */
export function matchResults(
  records: readonly RecordKey[],
  results: readonly unknown[],
  outcomeOf: (r: Record<string, unknown>) => RecordOutcome,
): RecordOutcome[] {
  const byIndex = new Map<number, Record<string, unknown>>();
  const byKey = new Map<string, Record<string, unknown>>();
  for (const x of results) {
    if (x === null || typeof x !== 'object' || Array.isArray(x)) continue;
    const r = x as Record<string, unknown>;
    if (typeof r['index'] === 'number') byIndex.set(r['index'], r);
    else {
      const p = str(r['projectNo']);
      const a = str(r['assessNumber']);
      if (p !== null && a !== null && !byKey.has(recordKey(p, a))) byKey.set(recordKey(p, a), r);
    }
  }
  return records.map((rec, i) => {
    const r = byIndex.get(i) ?? byKey.get(recordKey(rec.projectNo, rec.assessNumber));
    if (r && (str(r['projectNo']) ?? rec.projectNo) === rec.projectNo && (str(r['assessNumber']) ?? rec.assessNumber) === rec.assessNumber) return outcomeOf(r);
    return { kind: 'retryable', code: 'HCP_PROVINCE_BAD_ANSWER', reason: 'no matching result for this record in the answer' };
  });
}

export function parseJsonObject(body: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(body);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);
