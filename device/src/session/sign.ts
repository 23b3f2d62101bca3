/**
 * Signs a rating and encodes its stored JSON in one pass, on the press → commit path.
 *
 * The protocol's `signRating` walks the object generically (sort every object's keys, map, join),
 * then the outbox encoded the signed object again with JSON.stringify: about half of the device's
 * own work between a press and its commit (issue 3 benchmark). Here the top-level keys of a rating
 * are sorted once at load, the canonical text (see protocol/src/signature.ts) is built by string
 * concatenation, and the stored JSON is that same text with `sig` appended; the hub parses it, so
 * key order does not matter there.
 *
 * Any key this encoder does not know (a rating schema that grew) makes it use the protocol's
 * generic `canonicalize`, so a signature can never silently cover less than the protocol says.
 */
import { createHmac } from 'node:crypto';
import { RATING_SIG_DOMAIN, canonicalize, type Rating, type UnsignedRating } from '@hcp/protocol';

/** A signed rating and the JSON text the outbox stores for it. */
export interface EncodedRating {
  readonly rating: Rating;
  readonly json: string;
}

// `satisfies` + the Exclude check below make the compiler fail when UnsignedRating gains a key.
const KNOWN = [
  'v', 'id', 'hallId', 'deviceId', 'windowId', 'sessionId', 'caseNumbers', 'staffId', 'itemCode', 'level', 'indicators',
  'indicatorVersion', 'subScores', 'text', 'channel', 'assessNumber', 'origin', 'flags', 'givenAt', 'clock', 'seq',
] as const satisfies readonly (keyof UnsignedRating)[];
type Missing = Exclude<keyof UnsignedRating, (typeof KNOWN)[number]>;
const complete: [Missing] extends [never] ? true : Missing = true;
void complete;

// Canonical order is UTF-16 code unit order, which is what Array#sort does for strings.
const ORDER = [...KNOWN].sort().map((k) => ({ key: k, prefix: `${JSON.stringify(k)}:` }));

function value(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      // Non-finite numbers: the protocol's own rule (it throws).
      return Number.isFinite(v) ? JSON.stringify(v) : canonicalize(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (v === null) return 'null';
      if (Array.isArray(v)) {
        let out = '[';
        for (let i = 0; i < v.length; i++) out += (i > 0 ? ',' : '') + value(v[i] === undefined ? null : v[i]);
        return `${out}]`;
      }
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o).sort();
      let out = '{';
      let n = 0;
      for (const k of keys) {
        if (o[k] === undefined) continue;
        out += `${n++ > 0 ? ',' : ''}${JSON.stringify(k)}:${value(o[k])}`;
      }
      return `${out}}`;
    }
    default:
      return canonicalize(v); // functions, symbols, bigints: the protocol's error
  }
}

/** The canonical text of an unsigned rating (equal to the protocol's `canonicalize`). */
export function canonicalRating(r: UnsignedRating): string {
  const obj = r as unknown as Record<string, unknown>;
  let out = '{';
  let seen = 0;
  for (const { key, prefix } of ORDER) {
    const v = obj[key];
    if (v === undefined) continue;
    if (seen > 0) out += ',';
    out += prefix + value(v);
    seen++;
  }
  // A key we do not know (or an own `sig`) would be left out above: use the generic walk.
  let defined = 0;
  for (const k in obj) if (obj[k] !== undefined) defined++;
  if (defined !== seen) return canonicalize(Object.fromEntries(Object.entries(obj).filter(([k]) => k !== 'sig')));
  return `${out}}`;
}

/** A signer bound to one device key (the key is decoded once, not on every press). */
export class RatingSigner {
  // A Buffer key: createHmac with a KeyObject measured ~25 % slower here (Node 20).
  private readonly key: Buffer;

  constructor(readonly keyText: string) {
    this.key = Buffer.from(keyText, 'base64url');
  }

  /** Takes ownership of `r`: `sig` is added to that object (no copy on the press path). */
  sign(r: UnsignedRating): EncodedRating {
    const canonical = canonicalRating(r);
    const sig = createHmac('sha256', this.key).update(RATING_SIG_DOMAIN + canonical, 'utf8').digest('base64url');
    const rating = r as Rating;
    rating.sig = sig;
    // canonical is `{…}` and never `{}` (a rating has required keys), so `,"sig":…` is valid JSON.
    return { rating, json: `${canonical.slice(0, -1)},"sig":${JSON.stringify(sig)}}` };
  }
}
