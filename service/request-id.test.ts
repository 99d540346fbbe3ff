import { describe, expect, it } from 'vitest';
import { newRequestId, requestTimeMs } from './request-id.ts';

describe('request ids', () => {
  it('are RFC 9562 UUIDv7 carrying the millisecond they were made', () => {
    const ms = Date.UTC(2026, 11, 2, 5, 30, 0, 123);
    const id = newRequestId(ms);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(requestTimeMs(id)).toBe(ms);
    expect(requestTimeMs(newRequestId())).toBeGreaterThanOrEqual(ms);
  });

  it('sort by time as strings, and differ within one millisecond', () => {
    const ids = [1, 2, 3, 1000, 1_000_000, 2 ** 47].map((ms) => newRequestId(ms));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(Array.from({ length: 1000 }, () => newRequestId(5))).size).toBe(1000);
  });

  it('read as time 0 when the id is not a UUIDv7', () => {
    expect(requestTimeMs('req-1')).toBe(0);
    expect(requestTimeMs('3b241101-e2bb-4255-8caf-4136c566a962')).toBe(0);
    expect(requestTimeMs('')).toBe(0);
  });
});
