/**
 * Calendar arithmetic for statistics. Every day boundary is midnight in the hall's time zone,
 * China Standard Time (UTC+8, no daylight saving), whatever the server's own zone is: a rating
 * given at 23:30 local on the 20th (15:30Z) belongs to the 20th. Dates are 'YYYY-MM-DD' strings
 * of local days; instants are ISO strings in UTC. Pure functions, no clock.
 */
import type { FieldError } from '@hcp/protocol';

export const TZ_OFFSET = '+08:00';
const OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;

export type Period = 'day' | 'week' | 'month' | 'all';

/** The local day an instant (epoch ms) falls on. */
export function localDate(ms: number): string {
  return new Date(ms + OFFSET_MS).toISOString().slice(0, 10);
}

/** UTC instant (epoch ms) of local midnight starting `date`. */
export function dayStartMs(date: string): number {
  return Date.parse(`${date}T00:00:00.000Z`) - OFFSET_MS;
}

export function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00.000Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** Whole days from a to b (b − a). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00.000Z`) - Date.parse(`${a}T00:00:00.000Z`)) / DAY_MS);
}

/** True for a real calendar date in 'YYYY-MM-DD' form (2026-02-30 is not). */
export function isDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const t = Date.parse(`${s}T00:00:00.000Z`);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === s;
}

/** Monday of the ISO week holding `date` (weeks run Monday–Sunday, as 通报 weeks do). */
export function weekStart(date: string): string {
  const dow = new Date(`${date}T00:00:00.000Z`).getUTCDay(); // 0 = Sunday
  return addDays(date, -((dow + 6) % 7));
}

export function monthStart(date: string): string {
  return `${date.slice(0, 8)}01`;
}

/** Last day of the month holding `date`. */
export function monthEnd(date: string): string {
  const d = new Date(`${monthStart(date)}T00:00:00.000Z`);
  d.setUTCMonth(d.getUTCMonth() + 1);
  return addDays(d.toISOString().slice(0, 10), -1);
}

/** The bucket (its first day) a local date falls in. */
export function bucketOf(date: string, period: Period, from: string): string {
  if (period === 'day') return date;
  if (period === 'week') return weekStart(date);
  if (period === 'month') return monthStart(date);
  return from;
}

/** Last day of the bucket starting at `start`, clipped to `to`. */
export function bucketEnd(start: string, period: Period, to: string): string {
  const end = period === 'day' ? start : period === 'week' ? addDays(start, 6) : period === 'month' ? monthEnd(start) : to;
  return end < to ? end : to;
}

/** Every bucket start from `from` to `to`, in order (a true time axis for trends). */
export function buckets(from: string, to: string, period: Period): string[] {
  const out: string[] = [];
  let b = bucketOf(from, period, from);
  while (b <= to) {
    out.push(b);
    if (period === 'all') break;
    b = addDays(bucketEnd(b, period, '9999-12-31'), 1);
  }
  return out;
}

/** Largest range (days, inclusive) per period: bounds the answer's size, not the data's. */
export const MAX_DAYS: Readonly<Record<Period, number>> = { day: 366, week: 3 * 366, month: 10 * 366, all: 10 * 366 };

/**
 * Checks a from/to pair of local dates; returns the field errors (empty when fine). The schema
 * already checked the shape; this checks what a pattern cannot: real dates, order, size.
 */
export function rangeErrors(from: string, to: string, period: Period): FieldError[] {
  const errors: FieldError[] = [];
  if (!isDate(from)) errors.push({ field: '/from', rule: 'a calendar date YYYY-MM-DD' });
  if (!isDate(to)) errors.push({ field: '/to', rule: 'a calendar date YYYY-MM-DD' });
  if (errors.length) return errors;
  if (from > to) errors.push({ field: '/to', rule: 'not before from' });
  else if (daysBetween(from, to) + 1 > MAX_DAYS[period]) errors.push({ field: '/to', rule: `at most ${MAX_DAYS[period]} days after from for period=${period}` });
  return errors;
}

/** UTC instant strings bounding local dates from..to inclusive: [from 00:00+08, day after to 00:00+08). */
export function rangeInstants(from: string, to: string): { fromIso: string; toIso: string } {
  return { fromIso: new Date(dayStartMs(from)).toISOString(), toIso: new Date(dayStartMs(addDays(to, 1))).toISOString() };
}
