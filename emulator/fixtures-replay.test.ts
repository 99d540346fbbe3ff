/**
 * Replays the recorded api.github.com exchanges of @octokit/fixtures against the emulator: each
 * request of an in-scope scenario is sent as recorded (method, path, accept header, body; the
 * normalised shas mapped to the commits set up here, as the scenario's record.js sets them up on
 * GitHub), and the answer is compared with the recording: status code, the headers that matter,
 * and the response's shape — every recorded key present with the same JSON type, arrays of the
 * same length, and the values of identifying fields equal. ids, dates and URLs are compared by type
 * only (the fixtures normalise them). The README's table lists the scenarios out of scope and why.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, seedRepository } from '../testing/emulator.ts';
import { type Emulator, startEmulator } from './index.ts';

interface Exchange {
  method: string;
  path: string;
  body: unknown;
  status: number;
  response: unknown;
  reqheaders: Record<string, string>;
  headers: Record<string, string>;
}

const ORG = 'octokit-fixture-org';
const fixturesDir = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@octokit/fixtures')),
  'scenarios/api.github.com',
);

function load(scenario: string): Exchange[] {
  return JSON.parse(readFileSync(path.join(fixturesDir, scenario, 'normalized-fixture.json'), 'utf8')) as Exchange[];
}

/** Fields whose values (not only types) must match the recording. */
const VALUE_KEYS = new Set([
  'state',
  'context',
  'ref',
  'message',
  'type',
  'name',
  'path',
  'description',
  'target_url',
  'size',
  'strict',
  'contexts',
  'enabled',
  'merged',
  'encoding',
]);

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Differences between the recorded answer and the emulator's, as readable lines. */
function shapeDifferences(recorded: unknown, actual: unknown, at: string, ignore: Set<string>): string[] {
  if (ignore.has(at)) return [];
  if (jsonType(recorded) !== jsonType(actual))
    return [`${at}: ${jsonType(recorded)} recorded, ${jsonType(actual)} served`];
  if (Array.isArray(recorded)) {
    const served = actual as unknown[];
    if (recorded.length !== served.length) return [`${at}: ${recorded.length} items recorded, ${served.length} served`];
    return recorded.flatMap((item, i) => shapeDifferences(item, served[i], `${at}[]`, ignore));
  }
  if (recorded && typeof recorded === 'object') {
    const served = actual as Record<string, unknown>;
    return Object.entries(recorded).flatMap(([key, value]) => {
      const where = `${at}.${key}`;
      if (ignore.has(where)) return [];
      if (!(key in served)) return [`${where}: missing`];
      if (
        VALUE_KEYS.has(key) &&
        jsonType(value) !== 'object' &&
        JSON.stringify(value) !== JSON.stringify(served[key])
      ) {
        return [`${where}: ${JSON.stringify(value)} recorded, ${JSON.stringify(served[key])} served`];
      }
      return shapeDifferences(value, served[key], where, ignore);
    });
  }
  return [];
}

interface Scenario {
  name: string;
  /** Normalised sha → the real commit it stands for. */
  shas: () => Record<string, string>;
  /** GitHub's legacy or unsupported requests, rewritten to what the emulator serves (documented). */
  rewritePath?: (p: string) => string;
  /** Response paths not compared, with the reason in the README. */
  ignore?: string[];
}

describe('@octokit/fixtures replayed against the emulator', () => {
  let emulator: Emulator;
  let dir: string;
  const heads: Record<string, string[]> = {};

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'fixtures-replay-'));
    const hello = seedRepository(path.join(dir, 'hello'), { 'README.md': '# hello-world' });
    git(hello, ['branch', '-m', 'master']);
    const status = seedRepository(path.join(dir, 'status'), { 'README.md': '# create-status\n' });
    const refs = seedRepository(path.join(dir, 'refs'), { '1.md': '# git-refs\ncreated with initial commit' });
    const first = git(refs, ['rev-parse', 'HEAD']);
    git(refs, ['commit', '--quiet', '--allow-empty', '-m', '2nd commit']);
    heads['git-refs'] = [git(refs, ['rev-parse', 'HEAD']), first];
    heads['create-status'] = [git(status, ['rev-parse', 'HEAD'])];
    const protection = seedRepository(path.join(dir, 'protection'), { 'README.md': '# branch-protection\n' });
    const repo = (name: string, seedFrom?: string, defaultBranch = 'main') => ({
      owner: ORG,
      name,
      path: path.join(dir, 'repos', `${name}.git`),
      seedFrom,
      defaultBranch,
      private: false,
    });
    emulator = await startEmulator({
      // The recording's user, so authored commits carry the same name.
      login: 'octokit-fixture-user-a',
      repositories: [
        repo('hello-world', hello, 'master'),
        repo('create-status', status),
        repo('git-refs', refs),
        repo('create-file'),
        repo('branch-protection', protection),
      ],
    });
  });
  afterAll(async () => {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const sha = (n: number) => String(n).padStart(40, '0');
  const scenarios: Scenario[] = [
    // `topics` are the recorded repository's data (hello-world was tagged with three), not behaviour.
    { name: 'get-repository', shas: () => ({}), ignore: ['$.topics'] },
    // The recording's README answer is the raw media type (Accept: application/vnd.github.v3.raw).
    { name: 'get-content', shas: () => ({}) },
    { name: 'create-file', shas: () => ({}) },
    { name: 'create-status', shas: () => ({ [sha(1)]: heads['create-status']![0]! }) },
    {
      name: 'git-refs',
      shas: () => ({ [sha(1)]: heads['git-refs']![0]!, [sha(2)]: heads['git-refs']![1]! }),
      // `GET /git/refs/` (all refs) left GitHub's description; its successor is `git/matching-refs/{ref}`.
      rewritePath: (p) => p.replace(/\/git\/refs\/$/, '/git/matching-refs/heads'),
    },
    {
      name: 'branch-protection',
      shas: () => ({}),
      // The emulator has no users or teams: push and dismissal restrictions are accepted but not kept.
      ignore: ['$.restrictions', '$.required_pull_request_reviews.dismissal_restrictions'],
    },
  ];

  for (const scenario of scenarios) {
    it(`${scenario.name}: every recorded exchange answers alike`, async () => {
      const map = scenario.shas();
      const replace = (text: string) => Object.entries(map).reduce((t, [from, to]) => t.split(from).join(to), text);
      const ignore = new Set(scenario.ignore ?? []);
      const problems: string[] = [];
      for (const exchange of load(scenario.name)) {
        const route = replace(scenario.rewritePath?.(exchange.path) ?? exchange.path);
        const body =
          exchange.body === '' || exchange.body === undefined ? undefined : replace(JSON.stringify(exchange.body));
        const response = await fetch(`${emulator.apiUrl}${route}`, {
          method: exchange.method.toUpperCase(),
          redirect: 'manual',
          headers: {
            accept: exchange.reqheaders.accept ?? 'application/vnd.github.v3+json',
            authorization: `token ${emulator.adminToken}`,
            ...(body ? { 'content-type': 'application/json; charset=utf-8' } : {}),
          },
          body,
        });
        const where = `${exchange.method.toUpperCase()} ${exchange.path}`;
        if (response.status !== exchange.status)
          problems.push(`${where}: status ${exchange.status} recorded, ${response.status} served`);
        const recordedType = exchange.headers['content-type'];
        if (recordedType && response.headers.get('content-type')?.toLowerCase() !== recordedType.toLowerCase()) {
          problems.push(
            `${where}: content-type ${recordedType} recorded, ${response.headers.get('content-type')} served`,
          );
        }
        if (exchange.headers['x-github-media-type'] !== response.headers.get('x-github-media-type')) {
          problems.push(
            `${where}: x-github-media-type ${exchange.headers['x-github-media-type']} recorded, ${response.headers.get('x-github-media-type')} served`,
          );
        }
        for (const header of ['location', 'link']) {
          if (Boolean(exchange.headers[header]) !== response.headers.has(header))
            problems.push(`${where}: ${header} header differs`);
        }
        for (const header of [
          'x-github-request-id',
          'x-ratelimit-limit',
          'x-ratelimit-remaining',
          'x-ratelimit-reset',
          'x-ratelimit-used',
          'x-ratelimit-resource',
        ]) {
          if (!response.headers.has(header)) problems.push(`${where}: no ${header}`);
        }
        const text = await response.text();
        if (typeof exchange.response === 'string') {
          if (exchange.response !== text)
            problems.push(
              `${where}: body ${JSON.stringify(exchange.response)} recorded, ${JSON.stringify(text)} served`,
            );
        } else {
          const served = JSON.parse(replace(text).split(emulator.apiUrl).join('https://api.github.com')) as unknown;
          problems.push(...shapeDifferences(exchange.response, served, '$', ignore).map((p) => `${where}: ${p}`));
        }
      }
      expect(problems).toEqual([]);
    });
  }

  it('caused no OpenAPI violation', () => {
    expect(emulator.violations).toEqual([]);
  });
});
