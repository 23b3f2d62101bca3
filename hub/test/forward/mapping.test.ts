import { describe, expect, it } from 'vitest';
import { HcpError } from '@hcp/protocol';
import { exampleRating } from '@hcp/protocol/examples';
import { loadProfile } from '../../src/forward/profile.js';
import { mapRecords, maskRecord, personalFields, profileFingerprint, provinceChannel, recordJson, recordTemplate, type CaseContext } from '../../src/forward/mapping.js';

const base = { name: 'generic', adapter: 'generic-json', endpoint: 'http://127.0.0.1:1/r', hall: { deptName: '市政务服务中心', deptCode: '11330100MB0000000X', areaCode: '330100' } };
const context: CaseContext = {
  itemName: '食品经营许可', caseStatus: 'completed', promiseKind: 'immediate', staffName: '王晓燕', acceptedAt: '2026-11-21T01:00:00.000Z',
};
const applicant = { name: '张三', idType: '111', idNumber: '330102199001011234', userType: 'enterprise' as const };

describe('mapRecords', () => {
  it('makes one record per case number, every value a string', () => {
    const recs = mapRecords(exampleRating, context, applicant, loadProfile(base));
    expect(recs.map((r) => r.projectNo)).toEqual(exampleRating.caseNumbers);
    for (const r of recs) for (const v of Object.values(r)) expect(typeof v).toBe('string');
    expect(recs[0]).toMatchObject({
      assessNumber: '1', satisfaction: '2', evalDetail: '501,510', pf: '5',
      assessTime: '2026-11-21 10:15:30', taskCode: '330100-000-XK-001', taskName: '食品经营许可', proStatus: '3',
      proDepart: '市政务服务中心', deptCode: '11330100MB0000000X', areaCode: '330100', proManager: '王晓燕',
      acceptDate: '2026-11-21 09:00:00', promiseTime: '1', dataSource: '000',
      userProp: '2', userName: '张三', userPageType: '111', certKey: '330102199001011234',
    });
  });

  it('follows the profile code variants', () => {
    const p = loadProfile({
      ...base,
      codes: { userType: 'A', promiseOrder: 'promised-first', levelOrder: 'gbt39046', dateFormat: 'yyyyMMddHHmmss', dataSource: '371', idNumberField: 'certKeyGOV', channels: { 5: '9' } },
    });
    const [r] = mapRecords({ ...exampleRating, level: 5, indicators: [] }, { ...context, promiseKind: 'promised' }, { ...applicant, userType: 'social-org' }, p);
    expect(r).toMatchObject({ satisfaction: '1', pf: '9', assessTime: '20261121101530', promiseTime: '1', dataSource: '371', userProp: '2', certKeyGOV: '330102199001011234' });
    expect(r).not.toHaveProperty('certKey');
  });

  it('sends no personal fields without an applicant, and the hall identity when the context has none', () => {
    const [r] = mapRecords(exampleRating, {}, null, loadProfile(base));
    expect(r).not.toHaveProperty('userName');
    expect(r).not.toHaveProperty('certKey');
    expect(r).toMatchObject({ proDepart: '市政务服务中心', taskCode: exampleRating.itemCode });
    // empty optional fields are left out, required ones stay
    expect(r).not.toHaveProperty('acceptDate');
    expect(r).not.toHaveProperty('promiseTime');
    expect(r).not.toHaveProperty('writingEvaluation');
  });

  it('refuses a 差评 without indicators or text, unless an operator supplied them', () => {
    const bad = { ...exampleRating, level: 1 as const, indicators: [] };
    expect(() => mapRecords(bad, context, null, loadProfile(base))).toThrow(expect.objectContaining({ code: 'HCP_BAD_REVIEW_NEEDS_REASON' }));
    expect(mapRecords({ ...bad, text: '等太久' }, context, null, loadProfile(base))[0]?.writingEvaluation).toBe('等太久');
    expect(mapRecords(bad, context, null, loadProfile(base), ['C-1'], { evalDetail: '517' })[0]).toMatchObject({ projectNo: 'C-1', evalDetail: '517' });
  });

  it('marks default ratings and uses the profile default channel', () => {
    const p = loadProfile({ ...base, codes: { channelVariant: 'zhejiang' }, defaultRating: { mode: 'after-working-days', days: 5 } });
    const [r] = mapRecords({ ...exampleRating, level: 4, indicators: [], origin: 'default', flags: ['default-rating'] }, context, null, p);
    expect(r).toMatchObject({ pf: '7', satisfaction: '4' });
    expect(r).not.toHaveProperty('isDefault');
    const q = loadProfile({ ...base, defaultRating: { mode: 'after-working-days', days: 4, channelCode: '5', markField: 'defaultEval' } });
    expect(mapRecords({ ...exampleRating, level: 4, origin: 'default' }, context, null, q)[0]).toMatchObject({ pf: '5', defaultEval: '1' });
  });

  it('maps channels through the variant, with HCP_CODE_UNMAPPED when a province has none', () => {
    const zj = loadProfile({ ...base, codes: { channelVariant: 'zhejiang' } });
    expect(provinceChannel({ origin: 'mobile', channel: 7 }, zj)).toBe('6');
    expect(() => provinceChannel({ origin: 'session', channel: 6 }, zj)).toThrow(HcpError);
  });

  it('uses the hub receipt time when the device clock was untrusted and never corrected', () => {
    const p = loadProfile(base);
    const untrusted = { ...exampleRating, givenAt: '1970-01-01T00:00:10.000Z', flags: ['clock-untrusted' as const], receivedAt: '2026-11-21T02:16:00.000Z' };
    expect(mapRecords(untrusted, {}, null, p)[0]!.assessTime).toBe('2026-11-21 10:16:00');
    const corrected = { ...untrusted, givenAt: '2026-11-21T02:15:00.000Z', flags: ['clock-untrusted' as const, 'clock-corrected' as const] };
    expect(mapRecords(corrected, {}, null, p)[0]!.assessTime).toBe('2026-11-21 10:15:00');
  });

  it('never sends a rating as given before the service it rates (a device clock behind the business system)', () => {
    const p = loadProfile(base);
    // served 10:15:30.600 by the business system's clock; the device's clock said 10:15:30.550
    const ctx = { ...context, acceptedAt: '2026-11-21T02:15:30.600Z' };
    const behind = { ...exampleRating, givenAt: '2026-11-21T02:15:29.950Z' };
    expect(mapRecords(behind, ctx, null, p)[0]).toMatchObject({ assessTime: '2026-11-21 10:15:30', acceptDate: '2026-11-21 10:15:30' });
    const after = { ...exampleRating, givenAt: '2026-11-21T02:16:02.000Z' };
    expect(mapRecords(after, ctx, null, p)[0]).toMatchObject({ assessTime: '2026-11-21 10:16:02', acceptDate: '2026-11-21 10:15:30' });
  });

  it('a record made from the enqueue-time template equals the record mapped at send time', () => {
    const p = loadProfile({ ...base, codes: { userType: 'A', idNumberField: 'certKeyGOV' } });
    const t = recordTemplate(exampleRating, context, p)!;
    expect(t).not.toContain('projectNo');
    for (const a of [null, applicant]) {
      const [want] = mapRecords(exampleRating, context, a, p, ['330100-2026-000124']);
      expect(JSON.parse(recordJson(t, '330100-2026-000124', a ? personalFields(a, p) : null))).toEqual(want);
    }
    // text with quotes and non-ASCII survives
    const tricky = { ...exampleRating, text: '窗口"说"\n等了很久' };
    expect(JSON.parse(recordJson(recordTemplate(tricky, context, p)!, 'X"1', null))).toEqual(mapRecords(tricky, context, null, p, ['X"1'])[0]);
    // unmappable → no template (mapped, and dead-lettered, at send time)
    expect(recordTemplate({ ...exampleRating, level: 1, indicators: [] }, context, p)).toBeNull();
    // the fingerprint follows the mapping-relevant parts of the profile only
    expect(profileFingerprint(p)).toBe(profileFingerprint(loadProfile({ ...base, codes: { userType: 'A', idNumberField: 'certKeyGOV' }, batchSize: 7 })));
    expect(profileFingerprint(p)).not.toBe(profileFingerprint(loadProfile({ ...base, codes: { userType: 'B', idNumberField: 'certKeyGOV' } })));
  });

  it('masks personal fields for views', () => {
    const [r] = mapRecords(exampleRating, context, applicant, loadProfile(base));
    const m = maskRecord(r!);
    expect(m['userName']).toBe('张*');
    expect(m['certKey']).toBe('330***********1234');
    expect(m['projectNo']).toBe(r!.projectNo);
  });
});
