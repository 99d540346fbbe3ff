/** Small helpers every CLI shares: flag parsing with errors that name the flag, and one exit path. */
import { errorMessage } from '../lib/util/errors.ts';

export class UsageError extends Error {}

export function numberFlag(
  flag: string,
  raw: string,
  rules: { integer?: boolean; min?: number; max?: number } = {},
): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value))
    throw new UsageError(`--${flag} must be a number, got ${JSON.stringify(raw)}`);
  if (rules.integer && !Number.isInteger(value)) throw new UsageError(`--${flag} must be a whole number, got ${raw}`);
  if (rules.min !== undefined && value < rules.min)
    throw new UsageError(`--${flag} must be at least ${rules.min}, got ${raw}`);
  if (rules.max !== undefined && value > rules.max)
    throw new UsageError(`--${flag} must be at most ${rules.max}, got ${raw}`);
  return value;
}

/** Prints the error (and usage for usage errors) and exits with `code` (2 = error, by convention here). */
export function exitWithError(error: unknown, usage?: string, code = 2): never {
  const message = errorMessage(error);
  process.stderr.write(`error: ${message}\n`);
  const isUsage = error instanceof UsageError || (error as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS');
  if (isUsage && usage) process.stderr.write(`\n${usage}`);
  process.exit(code);
}
