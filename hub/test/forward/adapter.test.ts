import { describe, expect, it } from 'vitest';
import { jsonListBytes } from '../../src/forward/adapter.js';

describe('jsonListBytes', () => {
  it('is the UTF-8 of prefix + texts joined by commas + suffix, for any characters', () => {
    const texts = ['{"a":"王晓燕"}', '{"b":"𠀀 emoji 😀"}', '{}', '{"c":"\\u0000 ascii"}', `{"d":"${'满意'.repeat(500)}"}`];
    const bytes = jsonListBytes('{"records":[', texts, ']}');
    expect(Buffer.from(bytes).toString('utf8')).toBe(`{"records":[${texts.join(',')}]}`);
    expect(bytes.length).toBe(Buffer.byteLength(`{"records":[${texts.join(',')}]}`));
    expect(JSON.parse(Buffer.from(bytes).toString('utf8'))).toMatchObject({ records: [{ a: '王晓燕' }, {}, {}, {}, {}] });
  });

  it('handles an empty list and a lone surrogate (written as U+FFFD, as Buffer.from does)', () => {
    expect(Buffer.from(jsonListBytes('[', [], ']')).toString()).toBe('[]');
    const odd = '"\ud800"';
    expect(Buffer.from(jsonListBytes('[', [odd, odd], ']')).equals(Buffer.from(`[${odd},${odd}]`))).toBe(true);
  });
});
