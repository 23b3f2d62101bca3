/**
 * Validation for every schema: one compiled checker per schema, errors as field + rule.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { HcpError } from './errors.js';

export interface FieldError {
  /** JSON pointer of the offending field, '' for the whole message. */
  readonly field: string;
  /** The rule that failed, in words (from the schema keyword). */
  readonly rule: string;
}

export type Validated<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: readonly FieldError[] };

const MAX_ERRORS = 20;
const cache = new WeakMap<TSchema, TypeCheck<TSchema>>();

function checker<S extends TSchema>(schema: S): TypeCheck<S> {
  let c = cache.get(schema);
  if (!c) {
    c = TypeCompiler.Compile(schema);
    cache.set(schema, c);
  }
  return c as TypeCheck<S>;
}

/** Checks a value against a schema; lists every error (up to 20) as field + rule. */
export function validate<S extends TSchema>(schema: S, value: unknown): Validated<Static<S>> {
  const c = checker(schema);
  if (c.Check(value)) return { ok: true, value: value as Static<S> };
  const member = discriminatedMember(schema, value);
  if (member === 'unknown') {
    return { ok: false, errors: [{ field: '/type', rule: `one of: ${discriminants(schema).join(', ')}` }] };
  }
  if (member) return validate(member, value) as Validated<Static<S>>;
  const errors: FieldError[] = [];
  for (const e of c.Errors(value)) {
    errors.push({ field: e.path, rule: e.message });
    if (errors.length >= MAX_ERRORS) break;
  }
  return { ok: false, errors };
}

/** Like validate, but throws HcpError HCP_VALIDATION with the field errors as detail. */
/**
 * For a union of objects told apart by a literal `type` (commands), report the errors of the
 * member the value names, instead of TypeBox's bare "expected union".
 */
function discriminants(schema: TSchema): string[] {
  const anyOf = (schema as { anyOf?: TSchema[] }).anyOf;
  if (!Array.isArray(anyOf)) return [];
  const out: string[] = [];
  for (const m of anyOf) {
    const c = (m as { properties?: { type?: { const?: unknown } } }).properties?.type?.const;
    if (typeof c !== 'string') return [];
    out.push(c);
  }
  return out;
}

function discriminatedMember(schema: TSchema, value: unknown): TSchema | 'unknown' | null {
  const names = discriminants(schema);
  if (names.length === 0 || value === null || typeof value !== 'object') return null;
  const t = (value as { type?: unknown }).type;
  const i = typeof t === 'string' ? names.indexOf(t) : -1;
  return i < 0 ? 'unknown' : ((schema as unknown as { anyOf: TSchema[] }).anyOf[i] ?? null);
}

export function assertValid<S extends TSchema>(schema: S, value: unknown, what = 'message'): Static<S> {
  const r = validate(schema, value);
  if (!r.ok) throw new HcpError('HCP_VALIDATION', { what, errors: r.errors }, { message: `${what} is invalid: ${formatErrors(r.errors)}` });
  return r.value;
}

export function formatErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.field || '(root)'}: ${e.rule}`).join('; ');
}

export const MAX_PAYLOAD_BYTES = 256 * 1024;

/**
 * Decodes an MQTT or HTTP payload: size limit, JSON parse, version check, schema. Never throws.
 */
export function decodeJson<S extends TSchema>(schema: S, payload: Uint8Array | string, maxBytes = MAX_PAYLOAD_BYTES):
  | { ok: true; value: Static<S> }
  | { ok: false; code: 'HCP_PAYLOAD_TOO_LARGE' | 'HCP_JSON_MALFORMED' | 'HCP_VERSION_UNSUPPORTED' | 'HCP_VALIDATION'; errors: readonly FieldError[] } {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > maxBytes) return { ok: false, code: 'HCP_PAYLOAD_TOO_LARGE', errors: [{ field: '', rule: `at most ${maxBytes} bytes` }] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch {
    return { ok: false, code: 'HCP_JSON_MALFORMED', errors: [{ field: '', rule: 'valid JSON' }] };
  }
  if (parsed !== null && typeof parsed === 'object' && 'v' in parsed && (parsed as { v: unknown }).v !== 1) {
    return { ok: false, code: 'HCP_VERSION_UNSUPPORTED', errors: [{ field: '/v', rule: 'supported version (1)' }] };
  }
  const r = validate(schema, parsed);
  return r.ok ? r : { ok: false, code: 'HCP_VALIDATION', errors: r.errors };
}
