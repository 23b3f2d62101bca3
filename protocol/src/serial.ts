/**
 * The star-touch panel's serial line protocol, version 1 (9600 8N1 or faster, text lines).
 *
 *   $HCP1,<TYPE>[,<field>...]*<CK>\r\n
 *
 * - `CK` is two upper-case hex digits: XOR of every byte after `$` and before `*`.
 * - Fields are printable ASCII without `,` `*` `$`; text (names, codes) is percent-encoded UTF-8
 *   so Chinese names cross any 7-bit link. Lists inside a field use `|`, pairs use `:`.
 * - A receiver ignores `\r`, resyncs on `$`, and drops (and counts) whatever is not a valid frame.
 *
 * Panel → host: STAR, REASON, STAFF, HB, INFO.   Host → panel: PROMPT, REASONS, THANKS, IDLE, BRIGHT, BEEP.
 * Everything here is pure; nothing throws while decoding, whatever the bytes.
 */
import type { ErrorCode } from './errors.js';
import { HcpError } from './errors.js';
import type { Level } from './codes.js';

export const SERIAL_PROTOCOL_VERSION = 1;
export const SERIAL_MAGIC = 'HCP1';
/** Longest line accepted, including `$`, checksum and line end. */
export const SERIAL_MAX_LINE = 1024;

export type PanelFrame =
  | { type: 'star'; level: Level }
  | { type: 'reason'; codes: string[] }
  | { type: 'staff'; key: string }
  | { type: 'heartbeat'; seq: number }
  | { type: 'info'; model: string; firmware: string; protocol: number };

export type HostFrame =
  | { type: 'prompt'; timeoutS: number; staffName: string; staffNumber: string }
  | { type: 'reasons'; items: { code: string; name: string }[] }
  | { type: 'thanks'; level: Level }
  | { type: 'idle' }
  | { type: 'brightness'; percent: number }
  | { type: 'beep'; ms: number };

export type SerialFrame = PanelFrame | HostFrame;
export type SerialDirection = 'panel' | 'host';

const PANEL_TYPES = { STAR: 'star', REASON: 'reason', STAFF: 'staff', HB: 'heartbeat', INFO: 'info' } as const;
const HOST_TYPES = { PROMPT: 'prompt', REASONS: 'reasons', THANKS: 'thanks', IDLE: 'idle', BRIGHT: 'brightness', BEEP: 'beep' } as const;
const WIRE_NAME: Record<SerialFrame['type'], string> = {
  star: 'STAR', reason: 'REASON', staff: 'STAFF', heartbeat: 'HB', info: 'INFO',
  prompt: 'PROMPT', reasons: 'REASONS', thanks: 'THANKS', idle: 'IDLE', brightness: 'BRIGHT', beep: 'BEEP',
};

export function isPanelFrame(f: SerialFrame): f is PanelFrame {
  return Object.values(PANEL_TYPES).includes(f.type as PanelFrame['type']);
}

// ---------- text encoding ----------

const SAFE = /^[A-Za-z0-9._~-]$/;

/** Percent-encodes everything but [A-Za-z0-9._~-], as UTF-8. */
export function encodeText(s: string): string {
  let out = '';
  for (const ch of s) {
    if (SAFE.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Inverse of encodeText; null when the text is not validly encoded. */
export function decodeText(s: string): string | null {
  if (!/^(?:[A-Za-z0-9._~-]|%[0-9A-F]{2})*$/.test(s)) return null;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; ) {
    if (s[i] === '%') {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      bytes.push(s.charCodeAt(i));
      i += 1;
    }
  }
  const buf = Buffer.from(bytes);
  const text = buf.toString('utf8');
  // Reject invalid UTF-8 rather than smuggle replacement characters onto a screen.
  return Buffer.from(text, 'utf8').equals(buf) ? text : null;
}

export function checksum(body: string): string {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i) & 0xff;
  return x.toString(16).toUpperCase().padStart(2, '0');
}

// ---------- encoding ----------

function fieldsOf(f: SerialFrame): string[] {
  switch (f.type) {
    case 'star': return [String(f.level)];
    case 'reason': return [f.codes.map(encodeText).join('|')];
    case 'staff': return [encodeText(f.key)];
    case 'heartbeat': return [String(f.seq)];
    case 'info': return [encodeText(f.model), encodeText(f.firmware), String(f.protocol)];
    case 'prompt': return [String(f.timeoutS), encodeText(f.staffName), encodeText(f.staffNumber)];
    case 'reasons': return [f.items.map((i) => `${encodeText(i.code)}:${encodeText(i.name)}`).join('|')];
    case 'thanks': return [String(f.level)];
    case 'idle': return [];
    case 'brightness': return [String(f.percent)];
    case 'beep': return [String(f.ms)];
  }
}

/** Encodes one frame as a wire line ending in CRLF. Throws HCP_SERIAL_OVERLONG if it cannot fit. */
export function encodeFrame(f: SerialFrame): string {
  const body = [SERIAL_MAGIC, WIRE_NAME[f.type], ...fieldsOf(f)].join(',');
  const line = `$${body}*${checksum(body)}\r\n`;
  if (line.length > SERIAL_MAX_LINE) throw new HcpError('HCP_SERIAL_OVERLONG', { length: line.length });
  return line;
}

// ---------- decoding one line ----------

export type LineResult =
  | { ok: true; frame: SerialFrame }
  | { ok: false; code: Extract<ErrorCode, `HCP_SERIAL_${string}`>; detail: string };

const fail = (code: Extract<ErrorCode, `HCP_SERIAL_${string}`>, detail: string): LineResult => ({ ok: false, code, detail });

const INT = /^(0|[1-9][0-9]{0,9})$/;
function int(s: string | undefined, min: number, max: number): number | null {
  if (s === undefined || !INT.test(s)) return null;
  const n = Number(s);
  return n >= min && n <= max ? n : null;
}
function level(s: string | undefined): Level | null {
  return int(s, 1, 5) as Level | null;
}
function textList(s: string | undefined): string[] | null {
  if (s === undefined) return null;
  if (s === '') return [];
  const out: string[] = [];
  for (const part of s.split('|')) {
    const t = decodeText(part);
    if (t === null || t === '') return null;
    out.push(t);
  }
  return out;
}

/**
 * Decodes one line (with or without `\r\n`). Optionally restricts to one direction:
 * a host reading the panel passes 'panel'. Never throws.
 */
export function decodeLine(raw: string, direction?: SerialDirection): LineResult {
  if (typeof raw !== 'string') return fail('HCP_SERIAL_BAD_FRAME', 'not a string');
  const line = raw.replace(/\r?\n$/, '').replace(/\r$/, '');
  if (line.length + 2 > SERIAL_MAX_LINE) return fail('HCP_SERIAL_OVERLONG', `length ${line.length}`);
  const m = /^\$([\x20-\x7e]*)\*([0-9A-Fa-f]{2})$/.exec(line);
  if (!m) return fail('HCP_SERIAL_BAD_FRAME', 'shape');
  const body = m[1] ?? '';
  if (checksum(body) !== (m[2] ?? '').toUpperCase()) return fail('HCP_SERIAL_BAD_CHECKSUM', `want ${checksum(body)}`);
  if (body.includes('$')) return fail('HCP_SERIAL_BAD_FRAME', 'stray $');
  const [magic, name, ...fields] = body.split(',');
  if (magic !== SERIAL_MAGIC) return fail('HCP_SERIAL_VERSION', String(magic));
  const type =
    (direction !== 'host' ? (PANEL_TYPES as Record<string, string>)[name ?? ''] : undefined) ??
    (direction !== 'panel' ? (HOST_TYPES as Record<string, string>)[name ?? ''] : undefined);
  if (!type) return fail('HCP_SERIAL_UNKNOWN_TYPE', String(name));
  const frame = parseFields(type as SerialFrame['type'], fields);
  return frame ? { ok: true, frame } : fail('HCP_SERIAL_BAD_FRAME', `fields of ${name}`);
}

function parseFields(type: SerialFrame['type'], f: string[]): SerialFrame | null {
  const n = (count: number): boolean => f.length === count;
  switch (type) {
    case 'star': {
      const l = level(f[0]);
      return n(1) && l !== null ? { type, level: l } : null;
    }
    case 'thanks': {
      const l = level(f[0]);
      return n(1) && l !== null ? { type, level: l } : null;
    }
    case 'reason': {
      const codes = textList(f[0]);
      return n(1) && codes !== null && codes.length > 0 ? { type, codes } : null;
    }
    case 'staff': {
      const key = f[0] === undefined ? null : decodeText(f[0]);
      return n(1) && key ? { type, key } : null;
    }
    case 'heartbeat': {
      const seq = int(f[0], 0, 2 ** 31 - 1);
      return n(1) && seq !== null ? { type, seq } : null;
    }
    case 'info': {
      const model = f[0] === undefined ? null : decodeText(f[0]);
      const firmware = f[1] === undefined ? null : decodeText(f[1]);
      const protocol = int(f[2], 1, 999);
      return n(3) && model !== null && firmware !== null && protocol !== null ? { type, model, firmware, protocol } : null;
    }
    case 'prompt': {
      const timeoutS = int(f[0], 0, 86_400);
      const staffName = f[1] === undefined ? null : decodeText(f[1]);
      const staffNumber = f[2] === undefined ? null : decodeText(f[2]);
      return n(3) && timeoutS !== null && staffName !== null && staffNumber !== null ? { type, timeoutS, staffName, staffNumber } : null;
    }
    case 'reasons': {
      if (!n(1) || f[0] === undefined) return null;
      if (f[0] === '') return { type, items: [] };
      const items: { code: string; name: string }[] = [];
      for (const pair of f[0].split('|')) {
        const [c, nm, extra] = pair.split(':');
        const code = c === undefined ? null : decodeText(c);
        const name = nm === undefined ? null : decodeText(nm);
        if (extra !== undefined || !code || name === null) return null;
        items.push({ code, name });
      }
      return { type, items };
    }
    case 'idle':
      return n(0) ? { type } : null;
    case 'brightness': {
      const percent = int(f[0], 0, 100);
      return n(1) && percent !== null ? { type, percent } : null;
    }
    case 'beep': {
      const ms = int(f[0], 1, 10_000);
      return n(1) && ms !== null ? { type, ms } : null;
    }
  }
}

// ---------- decoding a byte stream ----------

export interface SerialDecoderStats {
  frames: number;
  droppedBytes: number;
  errors: Partial<Record<Extract<ErrorCode, `HCP_SERIAL_${string}`>, number>>;
}

export type DecodedItem = { ok: true; frame: SerialFrame } | { ok: false; code: Extract<ErrorCode, `HCP_SERIAL_${string}`>; detail: string };

const DOLLAR = 0x24;
const LF = 0x0a;

/**
 * Byte-stream decoder: feed any chunks, get frames and errors back in order.
 * State is a union: hunting for `$`, or collecting a line. Never throws; memory is bounded by
 * SERIAL_MAX_LINE. Every byte that does not end up in a valid frame is counted in droppedBytes.
 */
export class SerialFrameDecoder {
  private state: { kind: 'hunting'; skipped: number } | { kind: 'line'; bytes: number[] } = { kind: 'hunting', skipped: 0 };
  readonly stats: SerialDecoderStats = { frames: 0, droppedBytes: 0, errors: {} };

  constructor(private readonly direction?: SerialDirection) {}

  push(chunk: Uint8Array): DecodedItem[] {
    const out: DecodedItem[] = [];
    for (const b of chunk) {
      if (this.state.kind === 'hunting') {
        if (b === DOLLAR) {
          this.flushSkipped(out);
          this.state = { kind: 'line', bytes: [b] };
        } else {
          this.state.skipped++;
        }
        continue;
      }
      const bytes = this.state.bytes;
      if (b === DOLLAR) {
        // A new frame starts before the old one ended: the old one was cut short.
        this.reject(out, bytes.length, 'HCP_SERIAL_BAD_FRAME', 'truncated');
        this.state = { kind: 'line', bytes: [b] };
      } else if (b === LF) {
        this.state = { kind: 'hunting', skipped: 0 };
        this.finishLine(bytes, out);
      } else if (bytes.length + 1 > SERIAL_MAX_LINE) {
        this.reject(out, bytes.length + 1, 'HCP_SERIAL_OVERLONG', 'no line end');
        this.state = { kind: 'hunting', skipped: 0 };
      } else {
        bytes.push(b);
      }
    }
    if (this.state.kind === 'hunting') this.flushSkipped(out);
    return out;
  }

  /** Drops any partial frame (e.g. after the port closed) and counts it. */
  reset(): void {
    if (this.state.kind === 'line') this.stats.droppedBytes += this.state.bytes.length;
    else this.stats.droppedBytes += this.state.skipped;
    this.state = { kind: 'hunting', skipped: 0 };
  }

  private finishLine(bytes: number[], out: DecodedItem[]): void {
    const isAscii = bytes.every((x) => x < 0x80);
    const r: LineResult = isAscii
      ? decodeLine(String.fromCharCode(...bytes), this.direction)
      : { ok: false, code: 'HCP_SERIAL_BAD_FRAME', detail: 'non-ASCII byte' };
    if (r.ok) {
      this.stats.frames++;
      out.push(r);
    } else {
      this.reject(out, bytes.length + 1, r.code, r.detail);
    }
  }

  private flushSkipped(out: DecodedItem[]): void {
    if (this.state.kind !== 'hunting' || this.state.skipped === 0) return;
    const n = this.state.skipped;
    this.state.skipped = 0;
    this.reject(out, n, 'HCP_SERIAL_GARBAGE', `${n} bytes`);
  }

  private reject(out: DecodedItem[], n: number, code: Extract<ErrorCode, `HCP_SERIAL_${string}`>, detail: string): void {
    this.stats.droppedBytes += n;
    this.stats.errors[code] = (this.stats.errors[code] ?? 0) + 1;
    out.push({ ok: false, code, detail });
  }
}
