import { describe, expect, it } from 'vitest';
import { checkRecord, parseChinaTime, type RecordContext } from '../../src/provincial/record.js';

const NOW = Date.UTC(2026, 10, 21, 4, 0, 0); // 2026-11-21 12:00:00 China time
const ctx: RecordContext = { indicatorCodes: new Set(['501', '510']), nowMs: NOW };
const without = (k: string): Record<string, string> => Object.fromEntries(Object.entries(good).filter(([f]) => f !== k));
const good = {
  projectNo: '330100-2026-000123',
  assessNumber: '1',
  satisfaction: '5',
  pf: '5',
  assessTime: '2026-11-21 10:15:30',
};

describe('checkRecord accepts what a province accepts', () => {
  it.each([
    ['a minimal good review', {}],
    ['a 差评 with indicator codes', { satisfaction: '2', evalDetail: '501,510' }],
    ['a 差评 with text only', { satisfaction: '1', writingEvaluation: '等了很久' }],
    ['a follow-up rating', { assessNumber: '2' }],
    ['assessTime equal to acceptDate', { acceptDate: '2026-11-21 10:15:30' }],
    ['a valid 居民身份证号码', { userPageType: '111', certKey: '11010519491231002X', userName: '张三', userProp: '1' }],
    ['projectNo of exactly 50 characters', { projectNo: 'A'.repeat(50) }],
    ['all optional code fields', { proStatus: '3', deptCode: '11330100MB0000000X', areaCode: '330100', promiseTime: '2', dataSource: '001', userProp: '9' }],
    ['assessTime up to 5 minutes ahead of the clock', { assessTime: '2026-11-21 12:05:00' }],
  ])('%s', (_name, patch) => {
    const r = checkRecord({ ...good, ...patch }, ctx);
    expect(r).toMatchObject({ ok: true });
  });
});

describe('checkRecord rejects what a province rejects', () => {
  it.each([
    ['not an object', null, 'E_TYPE'],
    ['an array', [good], 'E_TYPE'],
    ['a number value', { ...good, satisfaction: 5 }, 'E_TYPE'],
    ['an unknown field', { ...good, level: '5' }, 'E_FIELD_UNKNOWN'],
    ['missing projectNo', without('projectNo'), 'E_REQUIRED'],
    ['blank projectNo', { ...good, projectNo: '  ' }, 'E_REQUIRED'],
    ['missing assessNumber', without('assessNumber'), 'E_REQUIRED'],
    ['missing satisfaction', without('satisfaction'), 'E_REQUIRED'],
    ['missing pf', without('pf'), 'E_REQUIRED'],
    ['missing assessTime', without('assessTime'), 'E_REQUIRED'],
    ['projectNo of 51 characters', { ...good, projectNo: 'A'.repeat(51) }, 'E_PROJECT_NO'],
    ['projectNo with a space', { ...good, projectNo: 'A 1' }, 'E_PROJECT_NO'],
    ['assessNumber 3', { ...good, assessNumber: '3' }, 'E_ASSESS_NUMBER'],
    ['assessNumber 0', { ...good, assessNumber: '0' }, 'E_ASSESS_NUMBER'],
    ['satisfaction 0', { ...good, satisfaction: '0' }, 'E_SATISFACTION'],
    ['satisfaction 6', { ...good, satisfaction: '6' }, 'E_SATISFACTION'],
    ['satisfaction 4.5', { ...good, satisfaction: '4.5' }, 'E_SATISFACTION'],
    ['pf 8', { ...good, pf: '8' }, 'E_PF'],
    ['pf 0', { ...good, pf: '0' }, 'E_PF'],
    ['assessTime in ISO form', { ...good, assessTime: '2026-11-21T10:15:30Z' }, 'E_TIME_FORMAT'],
    ['assessTime 31 November', { ...good, assessTime: '2026-11-31 10:15:30' }, 'E_TIME_FORMAT'],
    ['assessTime hour 24', { ...good, assessTime: '2026-11-21 24:00:00' }, 'E_TIME_FORMAT'],
    ['acceptDate malformed', { ...good, acceptDate: '2026/11/21 10:00:00' }, 'E_TIME_FORMAT'],
    ['assessTime before acceptDate', { ...good, acceptDate: '2026-11-21 10:15:31' }, 'E_TIME_ORDER'],
    ['assessTime in the future', { ...good, assessTime: '2026-11-21 12:05:01' }, 'E_TIME_FUTURE'],
    ['差评 (2) without reasons or text', { ...good, satisfaction: '2' }, 'E_BAD_REVIEW_REASON'],
    ['差评 (1) with blank text and empty codes', { ...good, satisfaction: '1', evalDetail: '', writingEvaluation: '   ' }, 'E_BAD_REVIEW_REASON'],
    ['an unknown indicator code', { ...good, satisfaction: '2', evalDetail: '501,999' }, 'E_INDICATOR_UNKNOWN'],
    ['indicator codes with a blank', { ...good, satisfaction: '2', evalDetail: '501, 510' }, 'E_INDICATOR_UNKNOWN'],
    ['writingEvaluation over 500 characters', { ...good, writingEvaluation: '慢'.repeat(501) }, 'E_FIELD_TOO_LONG'],
    ['proManager over 50 characters', { ...good, proManager: '王'.repeat(51) }, 'E_FIELD_TOO_LONG'],
    ['proStatus 4', { ...good, proStatus: '4' }, 'E_CODE_VALUE'],
    ['deptCode of 17 characters', { ...good, deptCode: '11330100MB000000X' }, 'E_CODE_VALUE'],
    ['areaCode of 7 digits', { ...good, areaCode: '3301001' }, 'E_CODE_VALUE'],
    ['userProp 7', { ...good, userProp: '7' }, 'E_CODE_VALUE'],
    ['userPageType letters', { ...good, userPageType: 'ID1' }, 'E_CODE_VALUE'],
    ['promiseTime 3', { ...good, promiseTime: '3' }, 'E_CODE_VALUE'],
    ['居民身份证 with a wrong check digit', { ...good, userPageType: '111', certKey: '110105194912310021' }, 'E_CERT_KEY'],
    ['居民身份证 with an impossible birth date', { ...good, userPageType: '111', certKey: '110105194902300023' }, 'E_CERT_KEY'],
    ['dataSource not 3 digits', { ...good, dataSource: '01' }, 'E_DATA_SOURCE'],
  ])('%s → %s', (_name, rec, code) => {
    const r = checkRecord(rec, ctx);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe(code);
      expect(r.reason).toMatch(/[\u4e00-\u9fa5]/);
    }
  });

  it('requires the configured dataSource', () => {
    const withSource = { ...ctx, dataSource: '123' };
    expect(checkRecord(good, withSource)).toMatchObject({ ok: false, code: 'E_DATA_SOURCE' });
    expect(checkRecord({ ...good, dataSource: '124' }, withSource)).toMatchObject({ ok: false, code: 'E_DATA_SOURCE' });
    expect(checkRecord({ ...good, dataSource: '123' }, withSource)).toMatchObject({ ok: true });
  });

  it('echoes projectNo and assessNumber in a rejection when they are strings', () => {
    expect(checkRecord({ ...good, satisfaction: '9' }, ctx)).toMatchObject({ projectNo: good.projectNo, assessNumber: '1' });
    expect(checkRecord({ ...good, projectNo: 7 }, ctx)).toMatchObject({ projectNo: '', code: 'E_TYPE' });
  });
});

describe('parseChinaTime', () => {
  it('reads China time as UTC+8', () => {
    expect(parseChinaTime('2026-11-21 12:00:00')).toBe(NOW);
    expect(parseChinaTime('2024-02-29 00:00:00')).not.toBeNull();
    expect(parseChinaTime('2026-02-29 00:00:00')).toBeNull();
  });
});
