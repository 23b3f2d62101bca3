/**
 * Working-day calendar: weekends off, public holidays off, 调休 working days on.
 * Data: hub/data/calendar/cn.json (documented in docs/calendar.md; checked yearly against the
 * State Council notice). Dates are China calendar days `YYYY-MM-DD` (UTC+8, no DST).
 * Used for default-rating deadlines and 差评 follow-up deadlines.
 */
import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { HcpError, validate } from '@hcp/protocol';

const DateStr = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
const DateOrRange = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}(\\.\\.\\d{4}-\\d{2}-\\d{2})?$' });

export const CalendarFile = Type.Object(
  {
    v: Type.Literal(1),
    name: Type.String({ minLength: 1, maxLength: 32 }),
    description: Type.Optional(Type.String()),
    timezone: Type.Literal('+08:00'),
    weekend: Type.Array(Type.Integer({ minimum: 0, maximum: 6 }), { uniqueItems: true, description: '0 = Sunday' }),
    years: Type.Record(
      Type.String({ pattern: '^\\d{4}$' }),
      Type.Object(
        {
          source: Type.String({ minLength: 1 }),
          holidays: Type.Array(
            Type.Object(
              { name: Type.String({ minLength: 1 }), off: Type.Array(DateOrRange), work: Type.Array(DateStr) },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type CalendarFile = Static<typeof CalendarFile>;

const DAY_MS = 86_400_000;
const CN_OFFSET_MS = 8 * 3_600_000;

/** Day number (days since 1970-01-01) of a `YYYY-MM-DD` date. */
const dayOf = (date: string): number => Date.parse(`${date}T00:00:00Z`) / DAY_MS;
const dateOf = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);
/** China calendar day of an instant. */
export const chinaDate = (ms: number): string => dateOf(Math.floor((ms + CN_OFFSET_MS) / DAY_MS));
/** The instant China midnight starts `date`. */
export const chinaMidnight = (date: string): number => dayOf(date) * DAY_MS - CN_OFFSET_MS;

export class WorkingCalendar {
  private readonly off = new Set<number>();
  private readonly work = new Set<number>();
  private readonly weekend: ReadonlySet<number>;
  private readonly years: ReadonlySet<number>;

  constructor(readonly data: CalendarFile) {
    this.weekend = new Set(data.weekend);
    this.years = new Set(Object.keys(data.years).map(Number));
    for (const y of Object.values(data.years)) {
      for (const h of y.holidays) {
        for (const spec of h.off) {
          const [a, b] = spec.split('..') as [string, string | undefined];
          for (let d = dayOf(a); d <= dayOf(b ?? a); d++) this.off.add(d);
        }
        for (const w of h.work) this.work.add(dayOf(w));
      }
    }
  }

  /** Validates calendar data (every error listed); throws HCP_CONFIG_INVALID. */
  static fromData(input: unknown): WorkingCalendar {
    const r = validate(CalendarFile, input);
    if (!r.ok) throw new HcpError('HCP_CONFIG_INVALID', { what: 'calendar', errors: r.errors });
    for (const y of Object.values(r.value.years)) {
      for (const h of y.holidays) {
        for (const spec of [...h.off.flatMap((s) => s.split('..')), ...h.work]) {
          if (Number.isNaN(dayOf(spec)) || dateOf(dayOf(spec)) !== spec) {
            throw new HcpError('HCP_CONFIG_INVALID', { what: 'calendar', errors: [{ field: h.name, rule: `real date: ${spec}` }] });
          }
        }
      }
    }
    return new WorkingCalendar(r.value);
  }

  static fromFile(path: string | URL): WorkingCalendar {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new HcpError('HCP_CONFIG_UNREADABLE', { what: 'calendar', path: String(path) }, { cause: err });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new HcpError('HCP_CONFIG_INVALID', { what: 'calendar', errors: [{ field: '', rule: 'valid JSON' }] }, { cause: err });
    }
    return WorkingCalendar.fromData(parsed);
  }

  /** The bundled China calendar (hub/data/calendar/cn.json; same relative path from src/ and dist/). */
  static china(): WorkingCalendar {
    return WorkingCalendar.fromFile(new URL('../../data/calendar/cn.json', import.meta.url));
  }

  /** Whether the file has holiday data for that year (outside it only weekends count). */
  covers(year: number): boolean {
    return this.years.has(year);
  }

  isWorkingDay(date: string): boolean {
    const d = dayOf(date);
    if (this.work.has(d)) return true;
    if (this.off.has(d)) return false;
    return !this.weekend.has(new Date(d * DAY_MS).getUTCDay());
  }

  /** The date of the n-th working day after `date` (n ≥ 0; n = 0 returns `date`). */
  addWorkingDays(date: string, n: number): string {
    if (!Number.isInteger(n) || n < 0) throw new RangeError('n must be a non-negative integer');
    let d = dayOf(date);
    for (let left = n; left > 0;) {
      d++;
      if (this.isWorkingDay(dateOf(d))) left--;
    }
    return dateOf(d);
  }

  /** Working days d with from < d ≤ to (0 when to ≤ from). */
  workingDaysBetween(from: string, to: string): number {
    let count = 0;
    for (let d = dayOf(from) + 1; d <= dayOf(to); d++) if (this.isWorkingDay(dateOf(d))) count++;
    return count;
  }

  /**
   * When a window of n working days that starts with an event at `ms` closes: China midnight after
   * the n-th working day following the event's day (served Friday, n = 1 → closes Tuesday 00:00).
   */
  deadline(ms: number, n: number): number {
    return chinaMidnight(this.addWorkingDays(chinaDate(ms), n)) + DAY_MS;
  }
}
