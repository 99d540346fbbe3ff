import { describe, expect, it } from 'vitest';
import { departureMinutes, writeNumericInputs } from './flight-features.ts';

/** The obvious (slow) reference: Date arithmetic in UTC. */
function referenceMinutes(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/.exec(s);
  if (!m) return Number.NaN;
  const [y, mo, d, h, mi] = m.slice(1, 6).map(Number);
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59) return Number.NaN;
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, 0, 0);
  if (date.getUTCDate() !== d) return Number.NaN;
  return date.getTime() / 60_000;
}

describe('departureMinutes', () => {
  it('agrees with Date arithmetic on every day of 1999–2001 and on malformed stamps', () => {
    for (let day = 0; day < 3 * 366; day++) {
      const base = Date.UTC(1999, 0, 1) + day * 86_400_000;
      const iso = new Date(base + ((day * 37) % 1440) * 60_000).toISOString().slice(0, 16);
      expect(departureMinutes(iso)).toBe(referenceMinutes(iso));
      expect(departureMinutes(`${iso}:59.123`)).toBe(referenceMinutes(iso));
    }
    for (const bad of [
      '2001-02-29T10:00',
      '2000-02-30T10:00',
      '2001-13-01T00:00',
      '2001-01-01T24:00',
      '2001-01-01 10:00',
      '2001-01-01T10:00Z',
      '2001-01-01T10:0',
      '2001-01-01T10:00:5',
      '2001-01-01T10:00:00.',
      'x001-01-01T10:00',
    ]) {
      expect(departureMinutes(bad), bad).toBeNaN();
      expect(referenceMinutes(bad), bad).toBeNaN();
    }
    expect(departureMinutes('2000-02-29T23:59')).toBe(referenceMinutes('2000-02-29T23:59'));
  });
});

describe('writeNumericInputs', () => {
  it('gives the hour, Monday-based weekday and day of month that Date gives, for every hour of 2001', () => {
    const out = new Float32Array(4);
    const start = Date.UTC(2001, 0, 1) / 60_000;
    for (let minutes = start - 1440 * 400; minutes < start + 1440 * 400; minutes += 61) {
      writeNumericInputs(minutes, 802, out, 0);
      const date = new Date(minutes * 60_000);
      expect([out[0], out[1], out[2], out[3]]).toEqual([
        Math.fround((date.getUTCHours() * 60 + date.getUTCMinutes()) / 60),
        (date.getUTCDay() + 6) % 7,
        date.getUTCDate(),
        802,
      ]);
    }
  });
});
