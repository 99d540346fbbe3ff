/**
 * The actions/cache keys the lifecycle workflows use, in one place: the workflows state them as
 * expressions (a test checks they still do) and whoever pre-fills a runner's cache store (the demo,
 * the workflow tests) computes the same keys here, with the runner's own `hashFiles`.
 */
import { hashFiles } from '../../runner/hash-files.ts';

/** `runner.os` on the local runner and on GitHub's ubuntu-latest. */
export const RUNNER_OS = 'Linux';

/** The key expressions as the workflows write them, by cached path. */
export const CACHE_KEY_EXPRESSIONS = {
  node_modules: "node-modules-${{ runner.os }}-${{ hashFiles('package-lock.json') }}",
  '.cache/flights': "flights-${{ hashFiles('package-lock.json', 'lib/data/flights.ts') }}",
} as const;

export type CachedPath = keyof typeof CACHE_KEY_EXPRESSIONS;

/** node_modules, keyed by the lockfile. */
export function nodeModulesCacheKey(repoDir: string, os = RUNNER_OS): string {
  return `node-modules-${os}-${hashFiles(repoDir, ['package-lock.json'])}`;
}

/** The flights' columnar cache (lib/data/flights.ts), keyed by the data package's lock and the converter. */
export function flightsCacheKey(repoDir: string): string {
  return `flights-${hashFiles(repoDir, ['package-lock.json', 'lib/data/flights.ts'])}`;
}

export function cacheKeys(repoDir: string): Record<CachedPath, string> {
  return { node_modules: nodeModulesCacheKey(repoDir), '.cache/flights': flightsCacheKey(repoDir) };
}
