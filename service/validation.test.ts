import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { departureMinutes } from '../lib/features/flight-features.ts';
import { AIRPORT_PATTERN, isAirportCode, isValidDeparture, LIMITS, validDepartureMinutes } from './validation.ts';

/** What the service must accept: whatever the feature module parses, within the year range and 32 characters. */
function reference(s: string): boolean {
  const year = Number(s.slice(0, 4));
  return !Number.isNaN(departureMinutes(s)) && year >= LIMITS.yearMin && year <= LIMITS.yearMax && s.length <= 32;
}

const digits = (n: number) =>
  fc.array(fc.constantFrom(...'0123456789'), { minLength: n, maxLength: n }).map((d) => d.join(''));
/** Strings shaped like departures, with every part sometimes out of range or malformed. */
const nearDeparture = fc
  .tuple(
    fc.oneof(fc.integer({ min: 1960, max: 2110 }).map(String), digits(4)),
    fc.oneof(
      fc.integer({ min: 0, max: 13 }).map((m) => String(m).padStart(2, '0')),
      digits(2),
    ),
    fc.oneof(
      fc.integer({ min: 0, max: 32 }).map((d) => String(d).padStart(2, '0')),
      digits(2),
    ),
    fc.oneof(
      fc.integer({ min: 0, max: 24 }).map((h) => String(h).padStart(2, '0')),
      digits(2),
    ),
    fc.oneof(
      fc.integer({ min: 0, max: 60 }).map((m) => String(m).padStart(2, '0')),
      digits(2),
    ),
    fc.oneof(
      fc.constant(''),
      digits(2).map((s) => `:${s}`),
      fc.tuple(digits(2), fc.string({ maxLength: 5 })).map(([s, f]) => `:${s}.${f}`),
      fc.string({ maxLength: 4 }),
    ),
    fc.constantFrom('-', '-', '-', '/', 'T', ' '),
    fc.constantFrom('T', 'T', 'T', ' ', 't'),
  )
  .map(([y, mo, d, h, mi, tail, sep, t]) => `${y}${sep}${mo}${sep}${d}${t}${h}:${mi}${tail}`);

describe('isValidDeparture and validDepartureMinutes', () => {
  it("give the feature module's minutes for every valid date-time in range", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1970-01-01T00:00Z'), max: new Date('2100-12-31T23:59Z'), noInvalidDate: true }),
        (d) => {
          const s = d.toISOString().slice(0, 16);
          expect(validDepartureMinutes(s)).toBe(departureMinutes(s));
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('accepts exactly what departureMinutes parses, within the year range', () => {
    fc.assert(
      fc.property(fc.oneof(nearDeparture, fc.string({ maxLength: 40 })), (s) => {
        expect(isValidDeparture(s)).toBe(reference(s));
        if (reference(s)) expect(validDepartureMinutes(s)).toBe(departureMinutes(s));
      }),
      { numRuns: 20_000 },
    );
  });

  it.each([
    ['2001-05-04T17:35', true],
    ['2001-05-04T17:35:00', true],
    ['2001-05-04T17:35:00.123', true],
    ['2000-02-29T00:00', true],
    ['2001-02-29T00:00', false],
    ['1900-02-29T00:00', false],
    ['2001-05-04T24:00', false],
    ['2001-05-04 17:35', false],
    ['2001-05-04T17:35Z', false],
    ['2001-05-04T17:35:0', false],
    ['2001-05-04T17:35:00.', false],
    ['1969-12-31T23:59', false],
    ['2100-12-31T23:59', true],
    ['2101-01-01T00:00', false],
    ['2001-05-04T17:35:00.123456789012', true],
    ['2001-05-04T17:35:00.1234567890123', false],
  ])('%s → %s', (s, ok) => {
    expect(isValidDeparture(s)).toBe(ok);
    expect(reference(s)).toBe(ok);
  });
});

describe('isAirportCode', () => {
  it('agrees with AIRPORT_PATTERN (the pattern the OpenAPI document publishes)', () => {
    const nearCode = fc.oneof(
      fc.string({ maxLength: 4 }),
      fc.array(fc.constantFrom('A', 'Z', 'a', '@', '[', 'É', '0'), { maxLength: 4 }).map((c) => c.join('')),
    );
    fc.assert(
      fc.property(nearCode, (s) => isAirportCode(s) === AIRPORT_PATTERN.test(s)),
      { numRuns: 5000 },
    );
    expect(isAirportCode('ORD')).toBe(true);
    expect(isAirportCode('ORD\n')).toBe(false);
  });
});
