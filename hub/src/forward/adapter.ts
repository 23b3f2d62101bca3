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
  readonly method: 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
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

export interface ProvinceAdapter {
  readonly name: string;
  map(record: NationalRecord, ctx: AdapterContext): Record<string, string>;
  envelope(records: readonly Record<string, string>[], ctx: AdapterContext): unknown;
  sign(envelope: unknown, ctx: AdapterContext): HttpRequest;
  parse(answer: HttpAnswer, records: readonly NationalRecord[], ctx: AdapterContext): RecordOutcome[];
}

/** map → envelope → sign for one batch. */
export function buildRequest(adapter: ProvinceAdapter, records: readonly NationalRecord[], ctx: AdapterContext): HttpRequest {
  return adapter.sign(adapter.envelope(records.map((r) => adapter.map(r, ctx)), ctx), ctx);
}

export const recordKey = (projectNo: string, assessNumber: string): string => `${projectNo}\u0000${assessNumber}`;

export function allOutcomes(n: number, outcome: RecordOutcome): RecordOutcome[] {
  return Array.from({ length: n }, () => outcome);
}

/** Shared HTTP-status rules: 408/429/5xx and auth failures are retryable (a config fix or the outage ends). */
export function statusOutcome(status: number, body: string, n: number): RecordOutcome[] | null {
  if (status >= 200 && status < 300) return null;
  const reason = `HTTP ${status}: ${body.slice(0, 200)}`;
  if (status === 408 || status === 429 || status >= 500 || status === 401 || status === 403) {
    return allOutcomes(n, { kind: 'retryable', code: 'HCP_PROVINCE_UNAVAILABLE', reason });
  }
  // Any other 4xx refuses the batch as a whole: isolate to find the record at fault.
  return allOutcomes(n, n > 1
    ? { kind: 'retryable', code: 'HCP_PROVINCE_REJECTED', reason, isolate: true }
    : { kind: 'rejected', code: `HTTP_${status}`, reason });
}

/** Matches per-record results by (projectNo, assessNumber); a record without a result is retryable. */
export function matchResults<T>(
  records: readonly NationalRecord[],
  results: readonly T[],
  keyOf: (r: T) => string | null,
  outcomeOf: (r: T) => RecordOutcome,
): RecordOutcome[] {
  const byKey = new Map<string, RecordOutcome>();
  for (const r of results) {
    const k = keyOf(r);
    if (k !== null) byKey.set(k, outcomeOf(r));
  }
  return records.map((rec) => byKey.get(recordKey(rec.projectNo, rec.assessNumber))
    ?? { kind: 'retryable', code: 'HCP_PROVINCE_BAD_ANSWER', reason: 'no result for this record in the answer' });
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
