import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../util/hash.ts';
import { nodeRepoFiles, type RepoFiles } from '../util/repo-files.ts';
import { formatManifest } from './format.ts';
import type { ProductionManifest } from './schema.ts';
import { MANIFEST_PATH, parseManifest, readDataClock, readManifest, writeDataClock, writeManifest } from './store.ts';
import { SchemaError, dataClockErrors, manifestErrors, validateManifest } from './validate.ts';
import { manifestArtifactProblems, verifyManifestArtifacts } from './verify.ts';

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);

function manifest(): ProductionManifest {
  return {
    schemaVersion: 1,
    model: 'flight-delay',
    champion: {
      version: '2001-05-01-aaaaaaaa',
      path: 'models/flight-delay/2001-05-01-aaaaaaaa/model.onnx',
      sha256: SHA_A,
    },
    previous: {
      version: '2001-04-01-bbbbbbbb',
      path: 'models/flight-delay/2001-04-01-bbbbbbbb/model.onnx',
      sha256: SHA_B,
    },
    challenger: null,
    reason: 'promote 2001-05-01-aaaaaaaa over 2001-04-01-bbbbbbbb',
    updatedAt: '2001-05-01T08:00:00Z',
  };
}

describe('manifest schema validation', () => {
  it('accepts a valid manifest, with or without previous and challenger', () => {
    expect(manifestErrors(manifest())).toEqual([]);
    expect(manifestErrors({ ...manifest(), previous: null })).toEqual([]);
    const challenger = {
      version: '2001-05-08-cccccccc',
      path: 'models/flight-delay/2001-05-08-cccccccc/model.onnx',
      sha256: 'c'.repeat(64),
      mode: 'canary',
      traffic: 0.1,
    };
    expect(manifestErrors({ ...manifest(), challenger })).toEqual([]);
  });

  it('names the field in every error', () => {
    const bad = manifest() as unknown as Record<string, Record<string, unknown>>;
    bad.champion.sha256 = 'ABC';
    expect(manifestErrors(bad)).toEqual(['manifest.champion.sha256 must be 64 lowercase hex characters, got "ABC"']);
  });

  it('reports all problems at once, each with its dotted path', () => {
    const errors = manifestErrors({
      schemaVersion: 2,
      model: 'other',
      champion: { version: '../x', path: '/etc/passwd', sha256: 'A'.repeat(64) },
      previous: { version: 'v1', path: 'models/a/../b.onnx' },
      challenger: { version: 'v2', path: 'models/v2/model.onnx', sha256: SHA_B, mode: 'live', traffic: 2 },
      reason: '',
      updatedAt: 'yesterday',
      extra: true,
    });
    expect(errors).toEqual(
      expect.arrayContaining([
        'manifest.extra is not a known field (expected one of schemaVersion, model, champion, previous, challenger, reason, updatedAt)',
        'manifest.schemaVersion must be 1, got 2',
        'manifest.model must be "flight-delay", got "other"',
        expect.stringMatching(/^manifest\.champion\.version must be a version/),
        expect.stringMatching(/^manifest\.champion\.path must be a repository-relative POSIX path/),
        expect.stringMatching(/^manifest\.champion\.sha256 must be 64 lowercase hex characters/),
        'manifest.previous.sha256 is missing',
        expect.stringMatching(/^manifest\.previous\.path must be a repository-relative/),
        'manifest.challenger.mode must be "shadow" or "canary", got "live"',
        'manifest.challenger.traffic must be a number from 0 to 1, got 2',
        'manifest.reason must not be empty',
        expect.stringMatching(/^manifest\.updatedAt must be an ISO 8601 instant/),
      ]),
    );
    expect(errors).toHaveLength(12);
  });

  it('checks cross-field rules and types', () => {
    const same = manifest();
    same.previous = { ...same.champion };
    expect(manifestErrors(same)).toEqual([
      'manifest.previous.version must differ from manifest.champion.version (2001-05-01-aaaaaaaa)',
    ]);
    expect(manifestErrors({ ...manifest(), champion: 'v1' })).toEqual([
      'manifest.champion must be an object, got "v1"',
    ]);
    expect(manifestErrors([])).toEqual(['manifest must be an object, got an array']);
    expect(
      manifestErrors({
        ...manifest(),
        challenger: { ...manifest().champion, version: 'x', mode: 'canary', traffic: 0 },
      }),
    ).toEqual(['manifest.challenger.traffic must be above 0 in canary mode (use mode "shadow" for no traffic)']);
  });

  it('throws a SchemaError that names the file and lists the errors', () => {
    expect(() => validateManifest({ ...manifest(), reason: 3 })).toThrow(SchemaError);
    expect(() => validateManifest({ ...manifest(), reason: 3 })).toThrow(
      /manifests\/production\.json is invalid:\n {2}- manifest\.reason must be a string, got 3/,
    );
    expect(() => parseManifest('{ nope')).toThrow(/manifests\/production\.json is not valid JSON/);
  });

  it('validates the data clock', () => {
    expect(dataClockErrors({ asOf: '2001-05-01T00:00' })).toEqual([]);
    expect(dataClockErrors({ asOf: '2001-05-01' })).toEqual([]);
    expect(dataClockErrors({ asOf: '2001-02-30' })).toEqual(['dataClock.asOf is not a calendar date: "2001-02-30"']);
    expect(dataClockErrors({ asOf: 5, later: 1 })).toEqual([
      'dataClock.later is not a known field (expected one of asOf)',
      'dataClock.asOf must be a string, got 5',
    ]);
  });
});

describe('stable manifest formatting', () => {
  it('uses a fixed key order, 2-space indent and a trailing newline, whatever the input order', () => {
    const m = manifest();
    const shuffled = JSON.parse(
      JSON.stringify({
        updatedAt: m.updatedAt,
        reason: m.reason,
        challenger: null,
        previous: m.previous,
        champion: { sha256: SHA_A, path: m.champion.path, version: m.champion.version },
        model: m.model,
        schemaVersion: 1,
      }),
    );
    expect(formatManifest(shuffled)).toBe(formatManifest(m));
    const text = formatManifest(m);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.split('\n')[1]).toBe('  "schemaVersion": 1,');
    expect(Object.keys(JSON.parse(text))).toEqual([
      'schemaVersion',
      'model',
      'champion',
      'previous',
      'challenger',
      'reason',
      'updatedAt',
    ]);
    expect(Object.keys(JSON.parse(text).champion)).toEqual(['version', 'path', 'sha256']);
  });
});

describe('manifest files and artifact checks', () => {
  let root: string;
  let files: RepoFiles;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'taxiway-manifest-'));
    files = nodeRepoFiles(root);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('round-trips the manifest and the data clock, and refuses to write an invalid one', async () => {
    expect(await readManifest(files)).toBeNull();
    await writeManifest(files, manifest());
    expect(await readManifest(files)).toEqual(manifest());
    expect(await files.readText(MANIFEST_PATH)).toBe(formatManifest(manifest()));
    await expect(writeManifest(files, { ...manifest(), updatedAt: 'now' })).rejects.toThrow(
      /the new manifests\/production\.json is invalid:\n {2}- manifest\.updatedAt/,
    );
    expect(await files.readText(MANIFEST_PATH)).toBe(formatManifest(manifest()));
    await writeDataClock(files, { asOf: '2001-05-08T00:00' });
    expect(await files.readText('manifests/data-clock.json')).toBe('{\n  "asOf": "2001-05-08T00:00"\n}\n');
    expect(await readDataClock(files)).toEqual({ asOf: '2001-05-08T00:00' });
  });

  it('checks that artifact paths exist and hashes match, naming the field and the file', async () => {
    const champion = new TextEncoder().encode('champion bytes');
    const m = manifest();
    m.champion.sha256 = sha256Hex(champion);
    await files.write(m.champion.path, champion);
    await files.write(m.previous!.path, 'not what the manifest says');
    const problems = await manifestArtifactProblems(files, m);
    expect(problems).toEqual([
      {
        field: 'previous',
        message: expect.stringMatching(
          /^manifest\.previous\.sha256 does not match models\/flight-delay\/2001-04-01-bbbbbbbb\/model\.onnx \(manifest b{64}, file [0-9a-f]{64}\)$/,
        ),
      },
    ]);
    await rm(path.join(root, m.champion.path));
    await expect(verifyManifestArtifacts(files, m)).rejects.toThrow(
      'manifest.champion.path models/flight-delay/2001-05-01-aaaaaaaa/model.onnx does not exist',
    );
    await writeFile(path.join(root, m.champion.path), champion);
    await files.write(m.previous!.path, 'x');
    m.previous!.sha256 = sha256Hex('x');
    await expect(verifyManifestArtifacts(files, m)).resolves.toBeUndefined();
    // A path that is not the version's own folder is caught even when the bytes match.
    m.champion.version = '2001-05-08-cccccccc';
    expect(await manifestArtifactProblems(files, m)).toEqual([
      {
        field: 'champion',
        message:
          'manifest.champion.path models/flight-delay/2001-05-01-aaaaaaaa/model.onnx is not the registry path of version 2001-05-08-cccccccc (models/flight-delay/2001-05-08-cccccccc/model.onnx)',
      },
    ]);
  });
});
