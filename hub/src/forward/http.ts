/**
 * The worker's HTTP transport: node:http / node:https with keep-alive, no fetch. undici's fetch
 * spends several microseconds per record on large bodies (WebIDL conversions, stream plumbing);
 * a plain request with a Buffer body does not. Same contract as FetchLike: a network failure or
 * the abort signal rejects; any HTTP status resolves.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { FetchLike } from './worker.js';

export function nodeHttpTransport(): FetchLike & { close(): void } {
  const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 16 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 16 }) };
  const send: FetchLike = (url, init) => new Promise((resolve, reject) => {
    const u = new URL(url);
    const tls = u.protocol === 'https:';
    const body = init.body === undefined || init.method === 'GET' ? undefined : typeof init.body === 'string' ? Buffer.from(init.body, 'utf8') : init.body;
    const req = (tls ? httpsRequest : httpRequest)(u, {
      method: init.method,
      headers: { ...init.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
      agent: tls ? agents.https : agents.http,
      signal: init.signal,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, text: () => Promise.resolve(text) });
      });
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('answer cut off')));
    });
    req.on('error', reject);
    req.end(body);
  });
  return Object.assign(send, { close: () => { agents.http.destroy(); agents.https.destroy(); } });
}
