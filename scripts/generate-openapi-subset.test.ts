import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EMULATED_OPERATIONS, EMULATED_WEBHOOKS } from '../emulator/openapi/operations.ts';
import { SUBSET_PATHS, generateSubsets } from './generate-openapi-subset.ts';

describe('the committed OpenAPI subsets', () => {
  // Packs @octokit/openapi and @octokit/openapi-webhooks into .cache/ on first use (npm registry).
  it('are exactly what the generator makes from the pinned packages', { timeout: 180_000 }, () => {
    const generated = generateSubsets();
    expect(readFileSync(SUBSET_PATHS.api, 'utf8')).toBe(generated.api);
    expect(readFileSync(SUBSET_PATHS.webhooks, 'utf8')).toBe(generated.webhooks);
  });

  it('cover every emulated operation and webhook', () => {
    const api = JSON.parse(readFileSync(SUBSET_PATHS.api, 'utf8')) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const operations = Object.entries(api.paths).flatMap(([route, item]) =>
      Object.keys(item)
        .filter((key) => key !== 'parameters')
        .map((method) => `${method.toUpperCase()} ${route}`),
    );
    expect(operations.sort()).toEqual([...EMULATED_OPERATIONS].sort());
    const webhooks = JSON.parse(readFileSync(SUBSET_PATHS.webhooks, 'utf8')) as { webhooks: Record<string, unknown> };
    expect(Object.keys(webhooks.webhooks).sort()).toEqual([...EMULATED_WEBHOOKS].sort());
  });
});
