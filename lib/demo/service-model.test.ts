import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type ModelView, servesRevision, waitForModel, waitForRevision } from './service-model.ts';

const SHA = 'a'.repeat(40);

/** A /v1/model answer with only the fields the waits read (the rest of the lineage is irrelevant here). */
function view(parts: {
  manifest?: string | null;
  serving?: string | null;
  champion?: string | null;
  challenger?: { version: string; loaded: boolean } | null;
}): ModelView {
  const entry = (version: string | null | undefined) => (version ? { version } : null);
  return {
    serving: parts.serving ? { version: parts.serving, revision: SHA, loadedAt: '2026-12-02T00:00:00.000Z' } : null,
    champion: entry(parts.champion),
    previous: null,
    challenger: parts.challenger ? { ...parts.challenger, mode: 'shadow', traffic: 0, error: null } : null,
    manifest: parts.manifest ? { path: 'manifests/production.json', revision: parts.manifest } : null,
    inSync: true,
    source: 'test',
  } as unknown as ModelView;
}

describe('servesRevision', () => {
  const loaded = { version: 'v3', loaded: true };
  it.each([
    ['the manifest at the commit is read and its champion serves', { manifest: SHA, serving: 'v2', champion: 'v2' }],
    ['… and its challenger is loaded too', { manifest: SHA, serving: 'v2', champion: 'v2', challenger: loaded }],
  ])('holds once %s', (_, parts) => expect(servesRevision(view(parts), SHA)).toBe(true));

  it.each([
    ['the manifest read is older', { manifest: 'b'.repeat(40), serving: 'v2', champion: 'v2' }],
    ['the new champion is not swapped in', { manifest: SHA, serving: 'v1', champion: 'v2' }],
    ['nothing serves yet', { manifest: SHA, serving: null, champion: 'v2' }],
    [
      'the challenger is not loaded',
      { manifest: SHA, serving: 'v2', champion: 'v2', challenger: { ...loaded, loaded: false } },
    ],
  ])('waits while %s', (_, parts) => expect(servesRevision(view(parts), SHA)).toBe(false));
});

describe('waitForModel against a server on loopback', () => {
  let server: http.Server | null = null;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve));
    server = null;
  });

  /** Serves `answers` in turn on GET /v1/model (the last one from then on); returns its URL. */
  async function serve(answers: ModelView[]): Promise<{ url: string; reads: () => number }> {
    let reads = 0;
    server = http.createServer((request, response) => {
      if (request.url !== '/v1/model') {
        response.writeHead(404).end();
        return;
      }
      const answer = answers[Math.min(reads++, answers.length - 1)];
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, reads: () => reads };
  }

  it('polls until the service serves the commit', async () => {
    const { url, reads } = await serve([
      view({ manifest: 'b'.repeat(40), serving: 'v1', champion: 'v1' }),
      view({ manifest: SHA, serving: 'v1', champion: 'v2' }),
      view({ manifest: SHA, serving: 'v2', champion: 'v2' }),
    ]);
    const seen = await waitForRevision(url, SHA, { intervalMs: 1 });
    expect(seen.serving?.version).toBe('v2');
    expect(reads()).toBe(3);
  });

  it('names what it waited for and the last answer when it times out', async () => {
    const { url } = await serve([view({ manifest: SHA, serving: 'v1', champion: 'v2' })]);
    await expect(
      waitForModel(url, 'serve v2', (v) => v.serving?.version === 'v2', { timeoutMs: 30, intervalMs: 5 }),
    ).rejects.toThrow(/did not serve v2 within .*"serving":"v1","champion":"v2"/);
  });

  it('fails at once on an error answer', async () => {
    const { url } = await serve([]);
    await expect(waitForModel(`${url}/nothing-here`, 'serve v2', () => true)).rejects.toThrow(/answered 404/);
  });
});
