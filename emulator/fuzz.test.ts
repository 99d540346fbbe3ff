/**
 * Bad input, generated: thousands of requests against every emulated operation — wrong types,
 * unknown fields, malformed JSON, odd path segments, wrong or missing tokens, unknown routes — must
 * never get a 5xx, must be refused in GitHub's error shape (the OpenAPI check covers every answer),
 * and must leave the repository passing `git fsck`.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestEmulator, gitAsync, startTestEmulator } from '../testing/emulator.ts';
import { EMULATED_OPERATIONS } from './openapi/operations.ts';

const RUNS = 2000;

describe('fuzzed requests', () => {
  let t: TestEmulator;
  let readOnly: string;
  const statuses = new Map<number, number>();

  beforeAll(async () => {
    t = await startTestEmulator({ protection: { requiredChecks: ['model-gate'] } });
    readOnly = t.emulator.mintToken({ permissions: { contents: 'read', pull_requests: 'read' } }).token;
    const head = await t.forge.commitFiles({ branch: 'feature', message: 'feature', files: { 'f.txt': 'x\n' } });
    const pr = await t.forge.createPullRequest({ head: 'feature', base: 'main', title: 'feature' });
    await t.forge.createIssueComment(pr.number, 'hello');
    await t.forge.createCommitStatus(head.sha, { state: 'pending', context: 'model-gate' });
    await t.forge.createDeployment({
      ref: 'feature',
      environment: 'production',
      requiredContexts: [],
      autoMerge: false,
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it(`answers ${RUNS} generated requests without a 5xx, in GitHub's error shape`, { timeout: 240_000 }, async () => {
    const main = (await t.forge.getRef('heads/main'))!.sha;
    const segment = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.constantFrom(
          '1',
          '2',
          'main',
          'feature',
          'heads/main',
          'heads/feature',
          'heads',
          'train.yml',
          main,
        ),
      },
      { weight: 1, arbitrary: fc.constantFrom('999999', '0', '-1', 'a'.repeat(40)) },
      {
        weight: 2,
        arbitrary: fc.constantFrom('..', '.', '%00', '%2F', 'ü', '%E2%80%AE', 'x y', '~', 'refs/heads/main'),
      },
      { weight: 1, arbitrary: fc.string({ maxLength: 12 }).map(encodeURIComponent) },
    );
    const route = fc
      .tuple(
        fc.constantFrom(...EMULATED_OPERATIONS),
        fc.array(segment, { minLength: 6, maxLength: 6 }),
        fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
      )
      .map(([operation, values, otherRepo]) => {
        const [method, template] = operation.split(' ') as [string, string];
        let i = 0;
        const pathname = template
          .replace('{owner}', otherRepo ? 'someone' : t.owner)
          .replace('{repo}', otherRepo ? 'else' : t.repo)
          .replace(/\{\w+\}/g, () => values[i++]!);
        return { method, pathname };
      });
    const unknownRoute = fc
      .tuple(fc.constantFrom('GET', 'POST', 'DELETE', 'PUT'), fc.array(segment, { minLength: 1, maxLength: 5 }))
      .map(([method, parts]) => ({ method, pathname: `/${parts.join('/')}` }));
    const jsonBody = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
      fc
        .record(
          {
            ref: fc.oneof(fc.constant('refs/heads/fuzz'), fc.constant('main'), fc.string(), fc.integer()),
            sha: fc.oneof(fc.constant(main), fc.string(), fc.constant(null)),
            state: fc.oneof(fc.constantFrom('success', 'failure', 'pending', 'open', 'closed', 'bogus'), fc.integer()),
            context: fc.oneof(fc.constant('model-gate'), fc.string()),
            body: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
            title: fc.oneof(fc.string(), fc.constant(null)),
            head: fc.constantFrom('feature', 'nope', 'taxiway:feature', ''),
            base: fc.constantFrom('main', 'nope'),
            content: fc.oneof(fc.base64String(), fc.string()),
            encoding: fc.constantFrom('utf-8', 'base64', 'rot13'),
            message: fc.string(),
            tree: fc.oneof(
              fc.array(
                fc.record({
                  path: fc.string(),
                  mode: fc.constantFrom('100644', '040000', 'x'),
                  type: fc.constantFrom('blob', 'tree'),
                  sha: fc.oneof(fc.constant(main), fc.string()),
                }),
              ),
              fc.string(),
            ),
            parents: fc.array(fc.oneof(fc.constant(main), fc.string()), { maxLength: 2 }),
            force: fc.boolean(),
            merge_method: fc.constantFrom('merge', 'squash', 'rebase', 'octopus'),
            inputs: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())),
            payload: fc.jsonValue({ maxDepth: 2 }),
            required_contexts: fc.array(fc.string(), { maxLength: 2 }),
            required_status_checks: fc.oneof(
              fc.constant(null),
              fc.record({ strict: fc.boolean(), contexts: fc.array(fc.string()) }),
            ),
            enforce_admins: fc.oneof(fc.boolean(), fc.constant(null)),
            required_pull_request_reviews: fc.constant(null),
            restrictions: fc.constant(null),
          },
          { requiredKeys: [] },
        )
        .map((value) => JSON.stringify(value)),
      fc.constantFrom('{', '{"a":', 'null', '[]', '"text"', 'not json', '\u0000', '{"state":"success"'),
    );
    const token = fc.constantFrom<string | undefined>(
      t.emulator.adminToken,
      t.emulator.adminToken,
      readOnly,
      undefined,
      'ghp_wrong',
    );
    const request = fc.record({
      target: fc.oneof({ weight: 9, arbitrary: route }, { weight: 1, arbitrary: unknownRoute }),
      body: fc.option(jsonBody, { nil: undefined }),
      query: fc.option(
        fc.constantFrom(
          '?per_page=0',
          '?per_page=abc',
          '?page=-1',
          '?state=bogus',
          '?head=x:y',
          '?ref=nope',
          '?recursive=1',
          '?status=success',
        ),
        { nil: '' },
      ),
      token,
    });

    await fc.assert(
      fc.asyncProperty(request, async ({ target, body, query, token }) => {
        const response = await fetch(`${t.emulator.apiUrl}${target.pathname}${query ?? ''}`, {
          method: target.method,
          redirect: 'manual',
          headers: {
            ...(token ? { authorization: `token ${token}` } : {}),
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          body: target.method === 'GET' ? undefined : body,
        });
        const text = await response.text();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        expect(
          response.status,
          `${target.method} ${target.pathname}${query ?? ''} ${body ?? ''} → ${text}`,
        ).toBeLessThan(500);
        if (response.status >= 400 && response.headers.get('content-type')?.includes('json')) {
          expect(JSON.parse(text)).toHaveProperty('message');
        }
      }),
      { numRuns: RUNS, seed: 20010501 },
    );
    // The generator reaches the handlers, not only the validators.
    console.log(
      `fuzz: ${RUNS} requests, answers by status: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`,
    );
    const successes = [...statuses].filter(([status]) => status < 300).reduce((n, [, count]) => n + count, 0);
    expect(successes).toBeGreaterThan(RUNS / 20);
  });

  it('refuses a body over the limit with 413 without reading it all', async () => {
    const response = await fetch(`${t.emulator.apiUrl}/repos/${t.fullName}/git/blobs`, {
      method: 'POST',
      headers: {
        authorization: `token ${t.emulator.adminToken}`,
        'content-type': 'application/json',
        'content-length': String(65 * 1024 * 1024),
      },
      body: '{}',
      duplex: 'half',
    } as RequestInit).catch((error: unknown) => error);
    // Either GitHub's 413, or the connection closed on the lying content-length: never a 5xx.
    if (response instanceof Response) expect(response.status).toBe(413);
  });

  it('leaves the repository consistent (git fsck) and every answer conforming', async () => {
    await expect(
      gitAsync(t.emulator.repository(t.fullName).path, ['fsck', '--full', '--strict']),
    ).resolves.toBeDefined();
    t.assertNoViolations();
  });
});
