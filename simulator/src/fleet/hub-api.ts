/**
 * The hub routes the fleet uses (Bearer token with a role that may manage the registry and devices):
 *   GET/POST /api/halls, /api/windows, /api/staff   set up a hall's windows and staff once
 *   POST /api/provision/codes {windowId}             a single-use claim code per device
 *   POST /api/ratings/lookup {ids}                   which journaled ratings the hub stored
 *   GET  /api/ratings/multi-rated                    sessions with more than one first rating
 */
export class HubApiError extends Error {
  constructor(readonly status: number, readonly code: string, readonly route: string) {
    super(`${route}: ${status} ${code}`);
    this.name = 'HubApiError';
  }
}

export class FleetHubApi {
  constructor(private readonly hubUrl: string, private readonly token: string, private readonly fetchFn: typeof fetch = fetch) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.fetchFn(new URL(path, this.hubUrl), {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    const json: unknown = text ? JSON.parse(text) : null;
    if (!res.ok) throw new HubApiError(res.status, String((json as { code?: unknown } | null)?.code ?? 'HTTP'), `${method} ${path}`);
    return json as T;
  }

  /** Creates what is missing; leaves what exists alone (a fleet may be restarted on the same hub). */
  async ensureHall(hallId: string): Promise<void> {
    const halls = await this.call<{ id: string }[]>('GET', '/api/halls');
    if (!halls.some((h) => h.id === hallId)) await this.call('POST', '/api/halls', { id: hallId, name: '模拟政务服务大厅' });
  }

  async ensureWindow(hallId: string, windowId: string, name: string, staff: { id: string; name: string; number: string }): Promise<void> {
    const existingStaff = await this.call<{ id: string }[]>('GET', '/api/staff');
    if (!existingStaff.some((s) => s.id === staff.id)) await this.call('POST', '/api/staff', { ...staff, starLevel: 5 });
    const windows = await this.call<{ id: string }[]>('GET', '/api/windows');
    if (!windows.some((w) => w.id === windowId)) await this.call('POST', '/api/windows', { id: windowId, hallId, name, staffId: staff.id });
  }

  async claimCode(windowId: string): Promise<string> {
    return (await this.call<{ code: string }>('POST', '/api/provision/codes', { windowId })).code;
  }

  async lookup(ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += 1000) {
      const r = await this.call<{ found: { id: string }[] }>('POST', '/api/ratings/lookup', { ids: ids.slice(i, i + 1000) });
      for (const f of r.found) found.add(f.id);
    }
    return found;
  }

  async multiRated(): Promise<number> {
    return (await this.call<{ items: unknown[] }>('GET', '/api/ratings/multi-rated')).items.length;
  }
}
