/**
 * Masking of applicant (evaluator) data for every export and report: the one place statistics
 * masks, built on the hub's own helpers in crypto/data-key.ts (the sessions API masks with the
 * same ones), so a name, ID number or phone looks the same wherever it is shown:
 * 张三丰 → 张**, 110101199003071234 → 110***********1234, 13812345678 → 138****5678.
 */
import type { Applicant } from '@hcp/protocol';
import { maskName, maskNumber } from '../crypto/data-key.js';

export interface MaskedApplicant {
  readonly name: string;
  readonly idNumber: string;
  readonly phone: string;
}

export function maskApplicant(a: Pick<Applicant, 'name' | 'idNumber'> & { phone?: string | undefined }): MaskedApplicant {
  return { name: maskName(a.name), idNumber: maskNumber(a.idNumber, 3, 4), phone: a.phone ? maskNumber(a.phone.replace(/[\s-]/g, ''), 3, 4) : '' };
}

/**
 * Free text a citizen typed (评价内容) may carry a phone or ID number ("请回电139…"): every run of
 * six or more digits (an ID number may end in X) is masked like a number field.
 */
export function maskFreeText(text: string): string {
  return text.replace(/\d{6,}[\dXx]?/g, (m) => maskNumber(m, 3, 4));
}
