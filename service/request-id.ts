/**
 * Request ids are UUIDv7 (RFC 9562): 48 bits of Unix time in milliseconds, then random bits. The
 * prediction store indexes predictions by (request time, request-id hash), so its inserts append
 * at the end of the index instead of landing on a random page of it: at 1M stored rows 4.5 µs of
 * the writer per row against 34.7 µs with UUIDv4 ids (`npm run bench:store`; service/README.md,
 * "The prediction log").
 *
 * Built from node:crypto's randomUUID (pooled entropy): `uuid` 14's v7() draws fresh random bytes
 * per id and took 4.4 µs per id in a loop of 10⁶ (5% of a single-row request's 80 µs of server
 * CPU); this takes 0.27–0.28 µs and randomUUID alone 0.09–0.14 µs (`npm run bench:store` prints both).
 */
import { randomUUID } from 'node:crypto';

let prefixMs = -1;
let prefix = '';

/** A UUIDv7 for `nowMs`: randomUUID's random bits with the time and version 7 written over. */
export function newRequestId(nowMs: number = Date.now()): string {
  // The time part changes once a millisecond; at 10k requests/s most ids reuse it.
  if (nowMs !== prefixMs) {
    const time = Math.floor(nowMs).toString(16).padStart(12, '0');
    prefix = `${time.slice(0, 8)}-${time.slice(8, 12)}-7`;
    prefixMs = nowMs;
  }
  // randomUUID: xxxxxxxx-xxxx-4xxx-Nxxx-xxxxxxxxxxxx; the variant bits (N) already say RFC 9562.
  return prefix + randomUUID().slice(15);
}

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** The millisecond time in a UUIDv7, or 0 for any other id (ids from tests, or from before v7). */
export function requestTimeMs(id: string): number {
  if (!UUID_V7.test(id)) return 0;
  return Number.parseInt(id.slice(0, 8), 16) * 65536 + Number.parseInt(id.slice(9, 13), 16);
}
