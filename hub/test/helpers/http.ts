/** inject() helpers: JSON requests with an optional bearer token. */
import type { Hub } from '../../src/hub.js';

export interface Answer {
  status: number;
  body: unknown;
  json: <T = Record<string, unknown>>() => T;
  headers: Record<string, unknown>;
}

export async function call(hub: Hub, method: string, url: string, opts: { token?: string; body?: unknown; headers?: Record<string, string>; raw?: string | Buffer } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let payload: string | Buffer | undefined;
  if (opts.raw !== undefined) payload = opts.raw;
  else if (opts.body !== undefined) {
    payload = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await hub.http.inject({ method: method as 'GET', url, headers, ...(payload !== undefined ? { payload } : {}) });
  let body: unknown = res.body;
  try {
    body = JSON.parse(res.body);
  } catch {
    /* not JSON */
  }
  return { status: res.statusCode, body, json: <T>() => body as T, headers: res.headers };
}
