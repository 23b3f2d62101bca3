/**
 * Realistic fake applicants: Chinese names, 居民身份证号码 with a valid GB 11643 check digit and a
 * real birth date, mobile numbers with real carrier prefixes, and companies with a valid
 * 统一社会信用代码. All made from the injected `Random`, so a seed replays the same people.
 * None of these belong to a real person (the sequence and check digits make them syntactic only).
 */
import type { Applicant } from '@hcp/protocol';
import { idCheckChar, usccCheckChar } from './idcard.js';
import { chance, pick, randInt, type Random } from './random.js';

const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '林', '罗', '高', '郑', '梁', '谢', '宋', '唐', '许', '韩', '冯', '邓', '曹', '欧阳', '司马'];
const GIVEN = ['伟', '芳', '娜', '秀英', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛', '明', '超', '秀兰', '霞', '平', '刚', '桂英', '晓燕', '建华', '志强', '子涵', '梓萱', '浩然', '欣怡', '宇轩', '思远', '雨桐', '俊杰'];
/** County-level 行政区划代码 (GB/T 2260) used as the first six digits. */
export const AREA_CODES = ['110101', '110105', '310101', '310115', '330102', '330106', '370102', '370902', '350102', '340102', '440103', '610102', '360102', '510104', '320102'];
const MOBILE_PREFIXES = ['130', '131', '132', '133', '135', '136', '137', '138', '139', '150', '151', '152', '155', '157', '158', '159', '166', '177', '180', '181', '186', '187', '188', '189', '199'];
const CITY = ['杭州', '济南', '福州', '合肥', '西安', '南昌', '成都', '南京', '上海', '北京'];
const TRADE = ['明德', '瑞丰', '恒信', '华越', '嘉禾', '兴达', '博远', '天成', '安泰', '鸿运'];
const KIND = ['科技有限公司', '贸易有限公司', '餐饮管理有限公司', '建筑工程有限公司', '物流有限公司', '文化传媒有限公司'];
const USCC_BODY = '0123456789ABCDEFGHJKLMNPQRTUWXY';

export function fakeName(random: Random): string {
  return pick(random, SURNAMES) + pick(random, GIVEN);
}

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/** An 18-character 居民身份证号码 for someone born between 1950 and 2006. */
export function fakeIdNumber(random: Random): string {
  const year = randInt(random, 1950, 2006);
  const month = randInt(random, 1, 12);
  const day = randInt(random, 1, new Date(Date.UTC(year, month, 0)).getUTCDate());
  const first17 = `${pick(random, AREA_CODES)}${year}${pad(month, 2)}${pad(day, 2)}${pad(randInt(random, 0, 999), 3)}`;
  return first17 + idCheckChar(first17);
}

export function fakePhone(random: Random): string {
  return pick(random, MOBILE_PREFIXES) + pad(randInt(random, 0, 99_999_999), 8);
}

/** A 统一社会信用代码: 9 (工商) 1 (企业), area code, 9-character organisation code, check character. */
export function fakeUscc(random: Random): string {
  let org = '';
  for (let i = 0; i < 9; i++) org += USCC_BODY[randInt(random, 0, 30)];
  const first17 = `91${pick(random, AREA_CODES)}${org}`;
  return first17 + usccCheckChar(first17);
}

export function fakeCompanyName(random: Random): string {
  return pick(random, CITY) + pick(random, TRADE) + pick(random, KIND);
}

/** An applicant: a person with a 居民身份证 most of the time, otherwise a company. */
export function fakeApplicant(random: Random, companyShare = 0.15): Applicant {
  if (chance(random, companyShare)) {
    return { name: fakeCompanyName(random), idType: '001', idNumber: fakeUscc(random), phone: fakePhone(random), userType: 'enterprise' };
  }
  return { name: fakeName(random), idType: '111', idNumber: fakeIdNumber(random), phone: fakePhone(random), userType: 'person' };
}
