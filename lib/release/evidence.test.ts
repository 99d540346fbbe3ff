import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseEvidence } from './evidence.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('the evidence head', () => {
  it('reads the committed evidence files', async () => {
    const file = `${ROOT}/models/flight-delay/2001-05-01-732e194c/evidence.json`;
    const evidence = parseEvidence(await readFile(file, 'utf8'), file);
    expect(evidence).toMatchObject({
      verdict: 'pass',
      candidate: { version: '2001-05-01-732e194c' },
      champion: { version: '2001-04-01-5a98e494' },
    });
  });

  it('names what is missing or wrong', () => {
    const text = JSON.stringify({
      kind: 'taxiway.gate-evidence',
      schemaVersion: 1,
      verdict: 'maybe',
      candidate: { version: 'v', sha256: 'abc' },
      champion: null,
    });
    expect(() => parseEvidence(text, 'e.json')).toThrow(
      'e.json is not gate evidence:\n  - verdict must be "pass" or "fail"\n  - summary must count passed, failed and skipped checks\n  - candidate.sha256 must be 64 lowercase hex characters',
    );
    expect(() => parseEvidence('{"verdict": "pass"', 'e.json')).toThrow(/^e\.json is not valid JSON/);
    expect(() => parseEvidence('{"verdict": "pass"}', 'e.json')).toThrow(/kind must be "taxiway.gate-evidence"/);
  });
});
