import { describe, expect, it } from 'vitest';
import { HcpError } from '@hcp/protocol';
import { WorkingCalendar, chinaDate, chinaMidnight } from '../../src/forward/calendar.js';

const cal = WorkingCalendar.china();

describe('WorkingCalendar (bundled cn.json)', () => {
  it('knows weekends, holidays and 调休 working days', () => {
    expect(cal.isWorkingDay('2026-11-20')).toBe(true); // Friday
    expect(cal.isWorkingDay('2026-11-21')).toBe(false); // Saturday
    expect(cal.isWorkingDay('2026-10-01')).toBe(false); // 国庆
    expect(cal.isWorkingDay('2026-10-05')).toBe(false); // Monday inside 国庆
    expect(cal.isWorkingDay('2026-10-10')).toBe(true); // Saturday 调休
    expect(cal.isWorkingDay('2026-02-14')).toBe(true); // Saturday before 春节
    expect(cal.isWorkingDay('2026-02-23')).toBe(false); // Monday, last day of 春节
    expect(cal.isWorkingDay('2025-01-26')).toBe(true); // Sunday 调休 2025
    expect(cal.isWorkingDay('2025-10-08')).toBe(false);
    expect(cal.covers(2026)).toBe(true);
    expect(cal.covers(2031)).toBe(false);
  });

  it('adds working days across weekends and the National Day week', () => {
    expect(cal.addWorkingDays('2026-11-20', 1)).toBe('2026-11-23');
    expect(cal.addWorkingDays('2026-11-20', 0)).toBe('2026-11-20');
    // Served Wed 30 Sep 2026; 1 Oct–7 Oct off, Sat 10 Oct is a working day.
    expect(cal.addWorkingDays('2026-09-30', 1)).toBe('2026-10-08');
    expect(cal.addWorkingDays('2026-09-30', 3)).toBe('2026-10-10');
    expect(cal.addWorkingDays('2026-09-30', 4)).toBe('2026-10-12');
  });

  it('counts working days between two dates', () => {
    expect(cal.workingDaysBetween('2026-11-20', '2026-11-27')).toBe(5);
    expect(cal.workingDaysBetween('2026-09-30', '2026-10-12')).toBe(4);
    expect(cal.workingDaysBetween('2026-11-27', '2026-11-20')).toBe(0);
    for (const [d, n] of [['2026-01-30', 7], ['2025-12-31', 3], ['2026-02-12', 5]] as const) {
      expect(cal.workingDaysBetween(d, cal.addWorkingDays(d, n))).toBe(n);
    }
  });

  it('computes deadlines in China time', () => {
    // 2026-11-20 23:30 China time is 15:30Z; 1 working day → window closes Tue 24 Nov 00:00 China.
    const served = Date.parse('2026-11-20T15:30:00Z');
    expect(chinaDate(served)).toBe('2026-11-20');
    expect(cal.deadline(served, 1)).toBe(chinaMidnight('2026-11-24'));
    expect(new Date(cal.deadline(served, 1)).toISOString()).toBe('2026-11-23T16:00:00.000Z');
  });

  it('rejects broken data with a coded error', () => {
    expect(() => WorkingCalendar.fromData({ v: 1, name: 'x', timezone: '+08:00', weekend: [0, 6], years: { 2026: { source: 's', holidays: [{ name: 'h', off: ['2026-02-30'], work: [] }] } } })).toThrow(HcpError);
    expect(() => WorkingCalendar.fromData({ v: 1 })).toThrow(HcpError);
    expect(() => WorkingCalendar.fromFile('/nonexistent/cal.json')).toThrow(HcpError);
  });
});
