import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  SERIAL_MAX_LINE, SerialFrameDecoder, checksum, decodeLine, decodeText, encodeFrame, encodeText, type SerialFrame,
} from '../src/index.js';

const bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1');

describe('wire examples', () => {
  it.each<[SerialFrame, string]>([
    [{ type: 'star', level: 5 }, '$HCP1,STAR,5*4B\r\n'],
    [{ type: 'reason', codes: ['501', '510'] }, `$HCP1,REASON,501|510*${checksum('HCP1,REASON,501|510')}\r\n`],
    [{ type: 'heartbeat', seq: 17 }, `$HCP1,HB,17*${checksum('HCP1,HB,17')}\r\n`],
    [{ type: 'idle' }, `$HCP1,IDLE*${checksum('HCP1,IDLE')}\r\n`],
    [{ type: 'prompt', timeoutS: 120, staffName: '王晓燕', staffNumber: 'A0107' }, `$HCP1,PROMPT,120,%E7%8E%8B%E6%99%93%E7%87%95,A0107*${checksum('HCP1,PROMPT,120,%E7%8E%8B%E6%99%93%E7%87%95,A0107')}\r\n`],
  ])('%j', (frame, line) => {
    expect(encodeFrame(frame)).toBe(line);
    expect(decodeLine(line)).toEqual({ ok: true, frame });
  });

  it('star checksum is the XOR of the body', () => {
    expect(checksum('HCP1,STAR,5')).toBe('4B');
  });
});

describe('decodeLine rejects with a code', () => {
  it.each([
    ['$HCP1,STAR,5*06', 'HCP_SERIAL_BAD_CHECKSUM'],
    [`$HCP2,STAR,5*${checksum('HCP2,STAR,5')}`, 'HCP_SERIAL_VERSION'],
    [`$HCP1,DANCE*${checksum('HCP1,DANCE')}`, 'HCP_SERIAL_UNKNOWN_TYPE'],
    [`$HCP1,STAR,6*${checksum('HCP1,STAR,6')}`, 'HCP_SERIAL_BAD_FRAME'],
    [`$HCP1,STAR,05*${checksum('HCP1,STAR,05')}`, 'HCP_SERIAL_BAD_FRAME'],
    [`$HCP1,STAR*${checksum('HCP1,STAR')}`, 'HCP_SERIAL_BAD_FRAME'],
    [`$HCP1,STAR,5,5*${checksum('HCP1,STAR,5,5')}`, 'HCP_SERIAL_BAD_FRAME'],
    [`$HCP1,REASON,%ZZ*${checksum('HCP1,REASON,%ZZ')}`, 'HCP_SERIAL_BAD_FRAME'],
    [`$HCP1,REASON,%FF*${checksum('HCP1,REASON,%FF')}`, 'HCP_SERIAL_BAD_FRAME'],
    ['STAR,5', 'HCP_SERIAL_BAD_FRAME'],
    [`$${'A'.repeat(SERIAL_MAX_LINE)}*00`, 'HCP_SERIAL_OVERLONG'],
  ])('%s → %s', (line, code) => {
    const r = decodeLine(line);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe(code);
  });

  it('direction filter: a host reading the panel refuses host frames', () => {
    const line = encodeFrame({ type: 'idle' });
    expect(decodeLine(line, 'panel').ok).toBe(false);
    expect(decodeLine(line, 'host').ok).toBe(true);
  });
});

describe('text encoding', () => {
  it('round-trips any string', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (s) => {
      expect(decodeText(encodeText(s))).toBe(s);
      expect(encodeText(s)).toMatch(/^[A-Za-z0-9._~%-]*$/);
    }));
  });
});

// ---- property-based ----
const textArb = (min = 0) => fc.string({ unit: 'grapheme', minLength: min, maxLength: 12 });
const codeArb = fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/);
const levelArb = fc.constantFrom<1 | 2 | 3 | 4 | 5>(1, 2, 3, 4, 5);
export const frameArb: fc.Arbitrary<SerialFrame> = fc.oneof(
  levelArb.map((level) => ({ type: 'star' as const, level })),
  fc.array(codeArb, { minLength: 1, maxLength: 5 }).map((codes) => ({ type: 'reason' as const, codes })),
  textArb(1).map((key) => ({ type: 'staff' as const, key })),
  fc.integer({ min: 0, max: 2 ** 31 - 1 }).map((seq) => ({ type: 'heartbeat' as const, seq })),
  fc.record({ model: textArb(), firmware: textArb(), protocol: fc.integer({ min: 1, max: 999 }) }).map((r) => ({ type: 'info' as const, ...r })),
  fc.record({ timeoutS: fc.integer({ min: 0, max: 86_400 }), staffName: textArb(), staffNumber: textArb() }).map((r) => ({ type: 'prompt' as const, ...r })),
  fc.array(fc.record({ code: codeArb, name: textArb() }), { maxLength: 6 }).map((items) => ({ type: 'reasons' as const, items })),
  levelArb.map((level) => ({ type: 'thanks' as const, level })),
  fc.constant({ type: 'idle' as const }),
  fc.integer({ min: 0, max: 100 }).map((percent) => ({ type: 'brightness' as const, percent })),
  fc.integer({ min: 1, max: 10_000 }).map((ms) => ({ type: 'beep' as const, ms })),
);

describe('properties', () => {
  it('every frame round-trips through a line', () => {
    fc.assert(fc.property(frameArb, (f) => {
      expect(decodeLine(encodeFrame(f))).toEqual({ ok: true, frame: f });
    }));
  });

  it('every frame round-trips through the byte decoder, split at any points', () => {
    fc.assert(fc.property(fc.array(frameArb, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 6 }), (frames, cuts) => {
      const wire = bytes(frames.map(encodeFrame).join(''));
      const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
      const d = new SerialFrameDecoder();
      const got: SerialFrame[] = [];
      let last = 0;
      for (const p of [...points, wire.length]) {
        for (const item of d.push(wire.subarray(last, p))) if (item.ok) got.push(item.frame);
        last = p;
      }
      expect(got).toEqual(frames);
      expect(d.stats.droppedBytes).toBe(0);
    }));
  });

  it('the decoder never throws on any byte sequence and stays bounded', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 400 }), { maxLength: 10 }), (chunks) => {
      const d = new SerialFrameDecoder();
      for (const c of chunks) d.push(c);
      d.reset();
      const total = chunks.reduce((n, c) => n + c.length, 0);
      expect(d.stats.droppedBytes).toBeLessThanOrEqual(total);
    }), { numRuns: 300 });
  });

  it('resyncs after garbage: a valid frame after any noise is decoded', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), frameArb, (noise, f) => {
      const d = new SerialFrameDecoder();
      d.push(noise);
      // A newline ends whatever partial frame the noise left open.
      const items = d.push(bytes(`\n${encodeFrame(f)}`));
      const frames = items.filter((i) => i.ok).map((i) => (i.ok ? i.frame : null));
      expect(frames[frames.length - 1]).toEqual(f);
    }), { numRuns: 300 });
  });

  it('counts what it drops, by code', () => {
    const d = new SerialFrameDecoder();
    d.push(bytes('noise'));
    d.push(bytes('$HCP1,STAR,5*00\r\n'));
    d.push(bytes(encodeFrame({ type: 'star', level: 3 })));
    expect(d.stats.frames).toBe(1);
    expect(d.stats.errors.HCP_SERIAL_GARBAGE).toBe(1);
    expect(d.stats.errors.HCP_SERIAL_BAD_CHECKSUM).toBe(1);
    expect(d.stats.droppedBytes).toBe(5 + 17);
  });

  it('a line with no end is cut at the maximum length', () => {
    const d = new SerialFrameDecoder();
    const items = d.push(bytes(`$${'A'.repeat(SERIAL_MAX_LINE * 2)}`));
    expect(items.some((i) => !i.ok && i.code === 'HCP_SERIAL_OVERLONG')).toBe(true);
  });
});
