import { describe, expect, it } from 'vitest';
import { isoUtc, utcFromFields } from '../../../core/time-zone.ts';

describe('isoUtc', () => {
  it('formats as Date#toISOString does, across the four-digit years', () => {
    const instants = [
      0,
      -1,
      951_782_400_000, // 2000-02-29
      951_868_799_999,
      1_700_000_000_123,
      -62_167_219_200_000, // 0000-01-01T00:00:00.000Z
      253_402_300_799_999, // 9999-12-31T23:59:59.999Z
    ];
    for (let day = -719_528; day < 2_932_897; day += 997) instants.push(day * 86_400_000 + 45_296_789);
    for (const ms of instants) expect(isoUtc(ms), String(ms)).toBe(new Date(ms).toISOString());
  });

  it('leaves instants outside the four-digit years and fractions of a millisecond to Date', () => {
    for (const ms of [-62_167_219_200_001, 253_402_300_800_000, 1.5, -0.25]) {
      expect(isoUtc(ms)).toBe(new Date(ms).toISOString());
    }
    expect(() => isoUtc(Number.NaN)).toThrow(RangeError);
  });
});

describe('utcFromFields', () => {
  it('gives what Date.UTC gives from year 100 on, a day past the end of a month included', () => {
    for (let i = 0; i < 20_000; i++) {
      const year = 100 + ((i * 7919) % 9900);
      const month = 1 + (i % 12);
      const day = 1 + ((i * 13) % 31);
      const [hour, minute, second, ms] = [i % 24, (i * 7) % 60, (i * 11) % 60, (i * 37) % 1000];
      expect(utcFromFields(year, month, day, hour, minute, second, ms)).toBe(
        Date.UTC(year, month - 1, day, hour, minute, second, ms),
      );
    }
  });

  it('reads years 0 to 99 as such, not as 1900 to 1999', () => {
    expect(new Date(utcFromFields(99, 12, 31, 23, 59, 59, 999)).getUTCFullYear()).toBe(99);
    expect(utcFromFields(2024, 13, 1, 0, 0, 0, 0)).toBe(Date.UTC(2024, 12, 1));
    expect(utcFromFields(2024, 1, 1, 0, 0, 0.5, 0.5)).toBe(Date.UTC(2024, 0, 1, 0, 0, 0.5, 0.5));
  });
});
