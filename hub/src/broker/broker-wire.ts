/**
 * The messages between the embedded broker's facade (embedded.ts, hub main thread) and the
 * worker thread that runs aedes (broker-worker.ts). Types only, plus the wire version both sides
 * check at start: tests run the facade from TypeScript sources but the worker from hub/dist, so a
 * stale build must fail loudly instead of speaking an old protocol.
 */
import type { TopicAllow } from './device-auth.js';

/** Bump on any change to the messages below. */
export const WIRE_VERSION = 3;

export interface WorkerOptions {
  readonly host: string;
  readonly port: number;
  /** aedes' emitter concurrency. */
  readonly concurrency: number;
  /**
   * Device messages the hub's in-process subscription has not taken yet: above this the worker
   * delays PUBACKs (aedes then stops reading those connections), so a hub busy committing slows
   * the devices down instead of queueing without bound.
   */
  readonly maxUnconsumed: number;
  /**
   * A rating signed by the hub's protocol build with `key`, and the hash of its Rating schema: the
   * worker vouches for ratings (see PreChecked in inbox.ts) only if its own build verifies the probe,
   * refuses it altered, and has the same schema (tests run the hub from sources, the worker from dist).
   */
  readonly probe: { readonly rating: unknown; readonly key: string; readonly schemaHash: string };
}

export type ToWorker =
  /**
   * Answer to `auth`: null = refused (bad credentials), 'error' = server unavailable. `sig`: the
   * device's signing key and a token naming this (device, key) pair; the worker checks that
   * connection's ratings with it and marks the messages it vouches for with the token.
   */
  | { readonly t: 'auth-r'; readonly id: number; readonly allow: TopicAllow | null | 'error'; readonly sig?: { readonly key: Uint8Array; readonly token: number } }
  | { readonly t: 'sub'; readonly filter: string }
  | { readonly t: 'unsub'; readonly filter: string }
  /** Publishes as the broker (QoS 1). */
  | { readonly t: 'pub'; readonly items: readonly { readonly id: number; readonly topic: string; readonly payload: string | Uint8Array; readonly retain: boolean }[] }
  /** The hub took this many device messages off the port. */
  | { readonly t: 'credit'; readonly n: number }
  | { readonly t: 'refused-r'; readonly id: number }
  | { readonly t: 'disconnect'; readonly clientId: string }
  | { readonly t: 'stop' };

export type FromWorker =
  /** `vouches`: the probe passed; without it the worker marks nothing and the hub checks every rating. */
  | { readonly t: 'hello'; readonly v: number; readonly vouches: boolean }
  | { readonly t: 'listening'; readonly port: number }
  | { readonly t: 'listen-error'; readonly code: string | undefined; readonly message: string }
  | { readonly t: 'auth'; readonly id: number; readonly username: string | undefined; readonly password: string | undefined; readonly clientId: string }
  /**
   * Device messages for the hub's subscriptions: message i was published on topics[i], matched
   * filters[i], payload buf[ends[i-1] ?? 0, ends[i]); tokens[i] ≠ 0: every rating in it passed the
   * schema and verified with the key of that `auth-r` token.
   */
  | { readonly t: 'msgs'; readonly topics: readonly string[]; readonly filters: readonly string[]; readonly tokens: readonly number[]; readonly ends: readonly number[]; readonly buf: ArrayBuffer }
  | { readonly t: 'pub-r'; readonly ok: readonly number[]; readonly failed: readonly (readonly [number, string])[] }
  | { readonly t: 'subbed'; readonly filter: string }
  /** The worker answers the client (SUBACK 0x80, disconnect) only after `refused-r`, so the count is current when the client learns of it. */
  | { readonly t: 'refused'; readonly id: number; readonly what: 'publish' | 'subscribe'; readonly clientId: string; readonly topic: string }
  | { readonly t: 'clients'; readonly connected: readonly string[]; readonly gone: readonly string[]; readonly count: number }
  | { readonly t: 'stopped' };
