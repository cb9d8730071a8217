import { describe, expect, it } from 'vitest';
import { bestDate, humanizedDate, parseDate } from '../../electron/import/dates.ts';
import { local } from './helpers.ts';

describe('dates', () => {
  it('reads every send_date shape of formats.md with its precision', () => {
    expect(parseDate('2025-01-02T10:11:40.123Z')).toEqual({ ms: Date.UTC(2025, 0, 2, 10, 11, 40, 123), precision: 'ms' });
    expect(parseDate('2025-01-02T10:11:40Z')).toEqual({ ms: Date.UTC(2025, 0, 2, 10, 11, 40), precision: 's' });
    expect(parseDate(1732500001234)).toEqual({ ms: 1732500001234, precision: 'ms' });
    expect(parseDate(1732500001)).toEqual({ ms: 1732500001000, precision: 's' });
    expect(parseDate('1732500001')).toEqual({ ms: 1732500001000, precision: 's' });
    expect(parseDate('June 19, 2023 2:20pm')).toEqual({ ms: local(2023, 6, 19, 14, 20), precision: 'min' });
    expect(parseDate('February 16, 2025 03:12PM')).toEqual({ ms: local(2025, 2, 16, 15, 12), precision: 'min' });
    expect(parseDate('June 19, 2023 12:05am')).toEqual({ ms: local(2023, 6, 19, 0, 5), precision: 'min' });
    expect(parseDate('2023-6-19 @14h 20m 05s 123ms')).toEqual({ ms: local(2023, 6, 19, 14, 20, 5, 123), precision: 'ms' });
    expect(parseDate('2024-10-18@20h52m30s')).toEqual({ ms: local(2024, 10, 18, 20, 52, 30), precision: 's' });
    expect(parseDate('2025-02-16@15h12m05s')).toEqual({ ms: local(2025, 2, 16, 15, 12, 5), precision: 's' });
  });

  it('refuses what is not a date', () => {
    for (const v of ['', 'yesterday', 'February 31, 2025 1:00pm', '2024-02-30@10h00m00s', null, undefined, {}, -5, Number.NaN]) expect(parseDate(v)).toBeNull();
  });

  it('prefers the most precise reading of the same moment, not an unrelated date', () => {
    const minute = 'June 19, 2023 2:20pm';
    const precise = new Date(local(2023, 6, 19, 14, 20, 33, 456)).toISOString();
    expect(bestDate([minute, precise])).toEqual({ ms: local(2023, 6, 19, 14, 20, 33, 456), precision: 'ms' });
    expect(bestDate([minute, '2020-01-01T00:00:00.000Z'])?.ms).toBe(local(2023, 6, 19, 14, 20));
    expect(bestDate([undefined, 'junk', 1700000000])?.ms).toBe(1700000000000);
  });

  it('writes SillyTavern’s humanised form back', () => {
    expect(humanizedDate(local(2024, 10, 18, 20, 52, 30))).toBe('2024-10-18@20h52m30s');
    expect(parseDate(humanizedDate(local(2023, 1, 2, 3, 4, 5)))?.ms).toBe(local(2023, 1, 2, 3, 4, 5));
  });
});
