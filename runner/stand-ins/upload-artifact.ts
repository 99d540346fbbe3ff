/**
 * actions/upload-artifact: copies the matching files into the run's artifact folder
 * (`<run folder>/artifacts/<name>/`, kept after the run), relative to the files' least common
 * ancestor as the real action stores them; `if-no-files-found`, `overwrite` and
 * `include-hidden-files` as documented; outputs an id, a file URL and the SHA-256 over the files.
 * Retention and compression have no meaning here and are ignored.
 */
import { createHash } from 'node:crypto';
import { globSync } from 'node:fs';
import { cp, mkdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StandIn } from './stand-in.ts';

function commonAncestor(files: string[]): string {
  const parts = files.map((file) => path.dirname(file).split(path.sep));
  const first = parts[0];
  let length = first.length;
  for (const other of parts) {
    let i = 0;
    while (i < length && i < other.length && other[i] === first[i]) i++;
    length = i;
  }
  return first.slice(0, length).join(path.sep) || path.sep;
}

async function matches(workspace: string, patterns: string[], hidden: boolean): Promise<string[]> {
  const include = patterns.filter((p) => !p.startsWith('!'));
  const exclude = patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
  const found = new Set<string>();
  for (const pattern of include) {
    const absolute = path.resolve(workspace, pattern);
    const isFolder = await stat(absolute).then(
      (s) => s.isDirectory(),
      () => false,
    );
    for (const file of globSync(isFolder ? path.join(absolute, '**') : absolute)) found.add(file);
  }
  const files: string[] = [];
  for (const file of [...found].sort()) {
    if (!(await stat(file)).isFile()) continue;
    if (
      !hidden &&
      path
        .relative(workspace, file)
        .split(path.sep)
        .some((part) => part.startsWith('.'))
    )
      continue;
    if (exclude.some((pattern) => path.matchesGlob(file, path.resolve(workspace, pattern)))) continue;
    files.push(file);
  }
  return files;
}

export const uploadArtifact: StandIn = {
  repository: 'actions/upload-artifact',
  versions: {
    bbbca2ddaa5d8feaa63e36b76fdaad77386f024f: 'v7.0.0',
  },
  inputs: {
    name: 'artifact',
    path: '',
    'if-no-files-found': 'warn',
    overwrite: 'false',
    'include-hidden-files': 'false',
  },
  ignoredInputs: ['retention-days', 'compression-level', 'archive'],
  async run(s) {
    const patterns = s.inputs.path
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
    if (patterns.length === 0) throw new Error('Input required and not supplied: path');
    const files = await matches(s.workspace, patterns, s.inputs['include-hidden-files'] === 'true');
    if (files.length === 0) {
      const message = `No files were found with the provided path: ${patterns.join(', ')}. No artifacts will be uploaded.`;
      if (s.inputs['if-no-files-found'] === 'error') throw new Error(message);
      if (s.inputs['if-no-files-found'] === 'warn') s.log.marker('warning', message);
      else s.log.write(message);
      return {};
    }
    const target = path.join(s.artifactsDir, s.inputs.name);
    if (
      await stat(target).then(
        () => true,
        () => false,
      )
    ) {
      if (s.inputs.overwrite !== 'true')
        throw new Error(`Failed to CreateArtifact: an artifact named '${s.inputs.name}' already exists on this run`);
      await rm(target, { recursive: true, force: true });
    }
    const root = commonAncestor(files);
    const digest = createHash('sha256');
    for (const file of files) {
      const relative = path.relative(root, file);
      await mkdir(path.dirname(path.join(target, relative)), { recursive: true });
      await cp(file, path.join(target, relative));
      digest.update(relative).update(await readFile(file));
    }
    s.log.write(`Stored ${files.length} file(s) as artifact '${s.inputs.name}' in ${target}`);
    return {
      outputs: {
        'artifact-id': s.inputs.name,
        'artifact-url': pathToFileURL(target).href,
        'artifact-digest': digest.digest('hex'),
      },
    };
  },
};
