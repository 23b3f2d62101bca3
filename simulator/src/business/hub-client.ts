/**
 * The business system's view of the hub. Routes used (hub sessions API, Bearer API token):
 *   GET  {hub}/api/windows   → windows: an array, or {items|windows: [...]}; each {id, staffId?, deviceId?}
 *   GET  {hub}/api/staff     → staff: an array, or {items|staff: [...]}; each {id, active?}
 *   POST {hub}/api/sessions  → body SessionOpenRequest (@hcp/protocol); 2xx = opened
 * The hub is written in parallel, so list answers are read tolerantly; an answer we cannot read
 * becomes a HubListError telling the user to pass --windows / --staff instead. The hub lets only
 * reading roles (operator, auditor, …) list windows and staff, not a business token, so the lists
 * may use a second token (`listToken`).
 */
import type { SessionOpenRequest } from '@hcp/protocol';

export interface WindowTarget {
  readonly id: string;
  /** Staff assigned to the window on the hub, if any. */
  readonly staffId: string | null;
}

export type FetchFn = typeof fetch;

export class HubListError extends Error {
  constructor(readonly route: string, detail: string) {
    super(`cannot read ${route} from the hub (${detail}); pass the list with a flag instead`);
    this.name = 'HubListError';
  }
}

/** What the hub answered to one session opening. */
export type OpenResult =
  | { readonly kind: 'opened'; readonly status: number; readonly sessionId: string | null }
  | { readonly kind: 'rejected'; readonly status: number; readonly code: string }
  | { readonly kind: 'failed'; readonly status: number | null; readonly code: string };

const TIMEOUT_MS = 10_000;

function items(body: unknown, keys: readonly string[]): unknown[] | null {
  if (Array.isArray(body)) return body;
  if (body && typeof body === 'object') {
    for (const k of keys) {
      const v = (body as Record<string, unknown>)[k];
      if (Array.isArray(v)) return v;
    }
  }
  return null;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

export class HubClient {
  constructor(
    private readonly hubUrl: string,
    private readonly token: string,
    private readonly fetchFn: FetchFn = fetch,
    /** Token for GET /api/windows and /api/staff; default: `token`. */
    private readonly listToken: string = token,
  ) {}

  private url(path: string): string {
    return new URL(path, this.hubUrl.endsWith('/') ? this.hubUrl : `${this.hubUrl}/`).toString();
  }

  private async getList(route: string, keys: readonly string[]): Promise<Record<string, unknown>[]> {
    let res: Response;
    try {
      res = await this.fetchFn(this.url(route.slice(1)), {
        headers: { authorization: `Bearer ${this.listToken}`, accept: 'application/json' },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      throw new HubListError(route, (err as Error).message);
    }
    if (!res.ok) {
      const code = await res.json().then((b: unknown) => str((b as Record<string, unknown> | null)?.code), () => null);
      const hint = res.status === 401 || res.status === 403 ? '; a business token may not list them: use a reading token (--list-token)' : '';
      throw new HubListError(route, `HTTP ${res.status}${code ? ` ${code}` : ''}${hint}`);
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      throw new HubListError(route, 'answer is not JSON');
    }
    const list = items(body, keys);
    if (!list) throw new HubListError(route, 'answer is not a list');
    return list.filter((x): x is Record<string, unknown> => !!x && typeof x === 'object');
  }

  /**
   * Windows to open sessions on. When the hub says which windows have a device, only those are
   * used (a session on a window without a device is refused with HCP_WINDOW_NO_DEVICE).
   */
  async windows(): Promise<WindowTarget[]> {
    const rows = await this.getList('/api/windows', ['items', 'windows']);
    const all = rows
      .map((w) => ({ id: str(w.id) ?? str(w.windowId), staffId: str(w.staffId), deviceId: w.deviceId }))
      .filter((w): w is { id: string; staffId: string | null; deviceId: unknown } => w.id !== null);
    const withDevice = all.filter((w) => typeof w.deviceId === 'string' && w.deviceId.length > 0);
    const knowsDevices = all.some((w) => 'deviceId' in w && w.deviceId !== undefined);
    return (knowsDevices && withDevice.length ? withDevice : all).map((w) => ({ id: w.id, staffId: w.staffId }));
  }

  /** Active staff ids. */
  async staff(): Promise<string[]> {
    const rows = await this.getList('/api/staff', ['items', 'staff']);
    return rows.filter((s) => s.active !== false).map((s) => str(s.id) ?? str(s.staffId)).filter((s): s is string => s !== null);
  }

  async openSession(body: SessionOpenRequest): Promise<OpenResult> {
    let res: Response;
    try {
      res = await this.fetchFn(this.url('api/sessions'), {
        method: 'POST',
        headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      return { kind: 'failed', status: null, code: cause?.code ?? (err as Error).name };
    }
    let answer: unknown = null;
    try {
      answer = await res.json();
    } catch {
      answer = null;
    }
    const a = (answer && typeof answer === 'object' ? answer : {}) as Record<string, unknown>;
    if (res.ok) return { kind: 'opened', status: res.status, sessionId: str(a.id) ?? str(a.sessionId) };
    const code = str(a.code) ?? `HTTP_${res.status}`;
    // 5xx, 408 and 429 are the hub's "not now": failures, not refusals of this session.
    if (res.status >= 500 || res.status === 408 || res.status === 429) return { kind: 'failed', status: res.status, code };
    return { kind: 'rejected', status: res.status, code };
  }
}
