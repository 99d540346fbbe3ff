import { createHash } from 'node:crypto';

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a, 32 bits, of a string's UTF-16 code units: a fast, stable, non-cryptographic hash. */
export function fnv1a32(text: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}

/**
 * A 52-bit hash of a string, exact as a JS number (and as a SQLite INTEGER): FNV-1a (32 bits) and
 * a multiply-xorshift (20 bits) in one pass. For join keys: with 10⁵ keys alive, a false match is
 * about one in 10¹⁰ lookups, where FNV-1a alone would give one in 4·10⁴.
 */
export function hash52(text: string): number {
  let a = FNV_OFFSET;
  let b = 0x9747b28c;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, FNV_PRIME);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return (a >>> 0) * 0x100000 + ((b ^ (b >>> 13)) >>> 12);
}
