import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProductionManifest } from '../manifest/schema.ts';
import { writeManifest } from '../manifest/store.ts';
import { nodeRepoFiles, type RepoFiles } from '../util/repo-files.ts';
import { REGISTRY_MD_PATH, regenerateRegistry, registryTable, windowLabel } from './registry-md.ts';
import { fileURLToPath } from 'node:url';
import { MAX_CARD_BYTES } from './card.ts';
import {
  CardError,
  REGISTRY_ROOT,
  addVersion,
  artifactPath,
  listVersions,
  parseCard,
  readVersion,
  versionStatus,
} from './registry.ts';
import { fakeCard } from '../../testing/registry.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

function newVersion(seed: string, options: Parameters<typeof fakeCard>[1] = {}) {
  const model = bytes(`model ${seed}`);
  const card = fakeCard(model, options);
  return { card, input: { model, cardText: `${JSON.stringify(card, null, 2)}\n` } };
}

let root: string;
let files: RepoFiles;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'taxiway-registry-'));
  files = nodeRepoFiles(root);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the registry', () => {
  it('adds a version and reads it back with its hash checked', async () => {
    const { card, input } = newVersion('a');
    const dir = await addVersion(files, { ...input, evidenceText: '{}\n', reportText: '# ok\n' });
    expect(dir).toBe(`models/flight-delay/${card.version}`);
    expect(await files.list(dir)).toEqual(['card.json', 'evidence.json', 'gate-report.md', 'model.onnx']);
    const stored = await readVersion(files, card.version);
    expect(stored.card).toEqual(card);
    expect(stored.promoted).toBe(true);
    expect(await files.readText(`${dir}/card.json`)).toBe(input.cardText);
    // No staging folder is left behind.
    expect(await readdir(path.join(root, REGISTRY_ROOT))).toEqual([card.version]);
  });

  it('is immutable: adding an existing version fails and leaves it untouched', async () => {
    const { card, input } = newVersion('a');
    await addVersion(files, input);
    const before = await files.read(artifactPath(card.version));
    await expect(addVersion(files, { ...input, evidenceText: '{"other": true}' })).rejects.toThrow(
      `models/flight-delay/${card.version} already exists: registered versions are immutable`,
    );
    expect(await files.read(artifactPath(card.version))).toEqual(before);
    expect(await files.exists(`models/flight-delay/${card.version}/evidence.json`)).toBe(false);
    expect(await readdir(path.join(root, REGISTRY_ROOT))).toEqual([card.version]);
  });

  it('refuses an artifact that does not match its card, writing nothing', async () => {
    const { input } = newVersion('a');
    await expect(addVersion(files, { ...input, model: bytes('tampered') }, 'runs/x')).rejects.toThrow(
      /^runs\/x\/card\.json: artifact\.sha256 does not match runs\/x\/model\.onnx \(card [0-9a-f]{64}, file [0-9a-f]{64}\)$/,
    );
    expect(await files.list(REGISTRY_ROOT)).toEqual([]);
  });

  it('checks the hash on every read and names the file', async () => {
    const { card, input } = newVersion('a');
    await addVersion(files, input);
    await writeFile(path.join(root, artifactPath(card.version)), 'swapped bytes');
    await expect(readVersion(files, card.version)).rejects.toThrow(
      `models/flight-delay/${card.version}/card.json: artifact.sha256 does not match models/flight-delay/${card.version}/model.onnx`,
    );
    await expect(listVersions(files, { verify: true })).rejects.toThrow(/does not match/);
    await expect(readVersion(files, '2001-01-01-00000000')).rejects.toThrow(
      'model version 2001-01-01-00000000 is not in the registry',
    );
    await expect(readVersion(files, '../etc')).rejects.toThrow('"../etc" is not a valid model version');
  });

  it('refuses a card that is not a model card, naming the fields', async () => {
    const { input } = newVersion('a');
    const card = JSON.parse(input.cardText);
    delete card.artifact.sha256;
    card.name = 'other';
    await expect(addVersion(files, { ...input, cardText: JSON.stringify(card) })).rejects.toThrow(
      'candidate/card.json is not a valid model card:\n  - card.name must be "flight-delay"\n  - card.artifact.sha256 must be 64 lowercase hex characters',
    );
  });
});

describe('the card document', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- cards broken on purpose
  type Loose = Record<string, any>;
  const card = () => structuredClone(newVersion('a').card) as unknown as Loose;
  const errors = (value: unknown) => {
    try {
      parseCard(JSON.stringify(value, null, 2), 'c.json');
      return [];
    } catch (error) {
      return (error as CardError).problems;
    }
  };

  it('reads the committed versions: schema 1 cards (lookup tables inside) and later ones', async () => {
    const repo = nodeRepoFiles(fileURLToPath(new URL('../..', import.meta.url)));
    const versions = await listVersions(repo, { verify: true });
    expect(versions.map((v) => v.card.schemaVersion)).toContain(1);
    for (const { version, card } of versions) {
      const bytes = Buffer.byteLength(await repo.readText(`${REGISTRY_ROOT}/${version}/card.json`));
      if (card.schemaVersion >= 2) expect(bytes).toBeLessThanOrEqual(MAX_CARD_BYTES);
    }
  });

  it('has a committed models/REGISTRY.md that is what the committed versions and manifest generate', async () => {
    // What `npm run registry -- --check` checks, in CI: a hand edit of the table or a version fails here.
    const repo = nodeRepoFiles(fileURLToPath(new URL('../..', import.meta.url)));
    const { markdown } = await registryTable(repo, { verify: true });
    expect(await repo.readText(REGISTRY_MD_PATH)).toBe(markdown);
  });

  it('keeps lookup tables out of schema 2 cards and holds them to the size limit', () => {
    const v2 = card();
    v2.features.lookups = [{ name: 'origin_code', input: 'origin', keyCount: 2, defaultValue: -1 }];
    expect(errors(v2)).toEqual([]);
    v2.features.lookups[0].keys = ['ATL', 'ORD'];
    expect(errors(v2)).toEqual([
      'card.features.lookups[0] must not hold keys or values: from schema 2 on the tables live only in model.onnx',
    ]);
    const big = card();
    big.reference = [{ feature: 'padding', categories: ['x'.repeat(MAX_CARD_BYTES)], shares: [1] }];
    expect(errors(big)).toEqual([
      expect.stringMatching(
        /^card\.json is \d+ bytes; a schema 2 card must be at most 51200 \(lookup tables belong in model\.onnx\)$/,
      ),
    ]);
    // Schema 1 cards hold the tables and are exempt from the limit (committed ones are ~780 KB).
    const v1: Loose = { ...big, schemaVersion: 1 };
    v1.features.lookups = [{ name: 'origin_code', input: 'origin', keys: ['ATL'], values: [0], defaultValue: -1 }];
    expect(errors(v1)).toEqual([]);
    v1.features.lookups[0].values = [];
    expect(errors(v1)).toEqual([
      'card.features.lookups[0] must have keys and as many values (schema 1 cards hold the lookup tables)',
    ]);
    expect(errors({ ...card(), schemaVersion: 3 })).toEqual(['card.schemaVersion must be 1 or 2, got 3']);
  });

  it('needs a usable threshold and golden examples that are complete flights', () => {
    const c = card();
    c.threshold = 1.5;
    c.golden = [{ input: { ...c.golden[0].input, departure: '2001-02-30T10:00' }, probability: 0.2 }];
    expect(errors(c)).toEqual([
      'card.threshold must be a probability in (0, 1), got 1.5',
      'card.golden[0].input is not a complete flight (departure missing or malformed)',
    ]);
    expect(errors({ ...card(), golden: [] })).toEqual([
      'card.golden must list golden examples (the artifact cannot be verified without them)',
    ]);
  });

  it('checks the card against what the reader expects, flagging a different artifact', () => {
    const { card: c, input } = newVersion('a');
    const read = (expected: { version?: string; sha256?: string }) => () =>
      parseCard(input.cardText, 'm/card.json', { ...expected, by: 'the manifest' });
    expect(read({ version: c.version, sha256: c.artifact.sha256 })()).toEqual(c);
    expect(read({ sha256: '0'.repeat(64) })).toThrow(
      expect.objectContaining({
        artifactMismatch: true,
        message: `m/card.json does not fit the manifest: artifact.sha256 is ${c.artifact.sha256}, the manifest says ${'0'.repeat(64)}`,
      }),
    );
    expect(read({ version: 'other' })).toThrow(expect.objectContaining({ artifactMismatch: false }));
  });
});

describe('version status', () => {
  const m: ProductionManifest = {
    schemaVersion: 1,
    model: 'flight-delay',
    champion: { version: 'c', path: 'c.onnx', sha256: 'a'.repeat(64) },
    previous: { version: 'p', path: 'p.onnx', sha256: 'a'.repeat(64) },
    challenger: { version: 'x', path: 'x.onnx', sha256: 'a'.repeat(64), mode: 'shadow', traffic: 0 },
    reason: 'r',
    updatedAt: '2001-05-01T00:00:00Z',
  };
  it('comes from the manifest, and from evidence for versions it no longer names', () => {
    expect(versionStatus('c', m, true)).toBe('champion');
    expect(versionStatus('p', m, true)).toBe('previous');
    expect(versionStatus('x', m, false)).toBe('challenger');
    expect(versionStatus('old', m, true)).toBe('retired');
    expect(versionStatus('new', m, false)).toBe('candidate');
    expect(versionStatus('new', null, false)).toBe('candidate');
  });
});

describe('REGISTRY.md', () => {
  it('lists every version with its run, window, metrics and status, deterministically', async () => {
    const a = newVersion('a', { asOf: '2001-04-01', auc: 0.66, recall: 0.35 });
    const b = newVersion('b', {
      asOf: '2001-05-01',
      auc: 0.69,
      recall: 0.4,
      runUrl: 'https://github.com/acme/taxiway/actions/runs/42',
    });
    const c = newVersion('c', { asOf: '2001-05-08' });
    await addVersion(files, { ...a.input, evidenceText: '{}' });
    await addVersion(files, { ...b.input, evidenceText: '{}' });
    await addVersion(files, c.input);
    await writeManifest(files, {
      schemaVersion: 1,
      model: 'flight-delay',
      champion: { version: b.card.version, path: artifactPath(b.card.version), sha256: b.card.artifact.sha256 },
      previous: { version: a.card.version, path: artifactPath(a.card.version), sha256: a.card.artifact.sha256 },
      challenger: null,
      reason: 'test',
      updatedAt: '2001-05-01T09:00:00Z',
    });
    const text = await regenerateRegistry(files);
    expect(await files.readText(REGISTRY_MD_PATH)).toBe(text);
    expect(await regenerateRegistry(files)).toBe(text);
    const rows = text.split('\n').filter((l) => l.startsWith('| [`'));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toContain(`[\`${c.card.version}\`](flight-delay/${c.card.version}/card.json) | candidate |`);
    expect(rows[1]).toContain(
      `| **champion** | 2001-05-01 06:00 UTC | [run 42](https://github.com/acme/taxiway/actions/runs/42) | 2001-01-01 → 2001-04-16 | 2001-04-24 → 2001-04-30 | 0.6900 | 0.4000 | 0.0100 |`,
    );
    expect(rows[2]).toContain('| previous | 2001-04-01 06:00 UTC | local |');
    expect(text).toContain(`- Champion: \`${b.card.version}\``);
    const { rows: table } = await registryTable(files);
    expect(table.map((r) => r.status)).toEqual(['candidate', 'champion', 'previous']);
  });

  it('labels half-open windows by their last included day', () => {
    expect(windowLabel({ start: '2001-04-24T00:00', end: '2001-05-01T00:00' })).toBe('2001-04-24 → 2001-04-30');
    expect(windowLabel({ start: '2001-04-24T00:00', end: '2001-05-01T12:00' })).toBe('2001-04-24 → 2001-05-01');
  });
});
