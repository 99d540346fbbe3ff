/**
 * actions/cache: restores folders of the workspace from the runner's cache store by `key` (exact
 * hit) or the newest entry whose key starts with one of `restore-keys` (not a hit, as on GitHub), and
 * saves them when the job succeeded and the key missed (the real action's post step, `post-if:
 * success()`). An entry is written once and never replaced ("Unable to reserve cache").
 *
 * Entries are folders under the store (`<cacheDir>/<key>/files/<path>`); restoring copies with hard
 * links (`cp -al`, a plain copy across file systems), so a 700 MB node_modules comes back in seconds.
 * Paths must be inside the workspace: `~/.npm` and absolute paths fail the step.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { StandIn } from './stand-in.ts';

const run = promisify(execFile);

function entryDir(cacheDir: string, key: string): string {
  return path.join(cacheDir, encodeURIComponent(key));
}

function cachePaths(text: string): string[] {
  const paths = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  if (paths.length === 0) throw new Error('Input required and not supplied: path');
  for (const p of paths) {
    if (path.isAbsolute(p) || p.startsWith('~') || p.split('/').includes('..') || /[*?[]/.test(p))
      throw new Error(
        `path ${p}: the local cache stand-in caches only folders or files inside the workspace, without wildcards`,
      );
  }
  return paths;
}

/** Hard-link copy (cheap and fast), or a real copy where hard links cannot go. */
async function copyTree(from: string, to: string): Promise<void> {
  await mkdir(path.dirname(to), { recursive: true });
  try {
    await run('cp', ['-a', '-l', from, to]);
  } catch {
    await rm(to, { recursive: true, force: true });
    await run('cp', ['-a', from, to]);
  }
}

async function newestWithPrefix(cacheDir: string, prefix: string): Promise<string | undefined> {
  const names = await readdir(cacheDir).catch(() => [] as string[]);
  let best: { key: string; time: number } | undefined;
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const key = decodeURIComponent(name);
    if (!key.startsWith(prefix)) continue;
    const time = (await stat(path.join(cacheDir, name))).mtimeMs;
    if (!best || time > best.time) best = { key, time };
  }
  return best?.key;
}

/**
 * Writes an entry from existing folders (`{ 'node_modules': '/abs/node_modules' }`), as a previous
 * run would have saved it. `link: true` stores symbolic links instead of copies (what the demo uses
 * for the repository's own node_modules: restoring is then instant).
 */
export async function seedCacheEntry(
  cacheDir: string,
  key: string,
  folders: Record<string, string>,
  options: { link?: boolean } = {},
): Promise<void> {
  const dir = entryDir(cacheDir, key);
  if (existsSync(dir)) return;
  const staging = path.join(cacheDir, `.seed-${process.pid}-${Date.now()}`);
  for (const [relative, source] of Object.entries(folders)) {
    const target = path.join(staging, 'files', relative);
    await mkdir(path.dirname(target), { recursive: true });
    if (options.link) await run('ln', ['-s', path.resolve(source), target]);
    else await copyTree(path.resolve(source), target);
  }
  await writeFile(path.join(staging, 'key'), key);
  await rename(staging, dir);
}

export const cache: StandIn = {
  repository: 'actions/cache',
  versions: {
    '27d5ce7f107fe9357f9df03efb73ab90386fccae': 'v5.0.5',
  },
  inputs: { path: '', key: '', 'restore-keys': '', 'fail-on-cache-miss': 'false', 'lookup-only': 'false' },
  ignoredInputs: ['upload-chunk-size', 'enablecrossosarchive', 'save-always'],
  async run(s) {
    const paths = cachePaths(s.inputs.path);
    const key = s.inputs.key.trim();
    if (!key) throw new Error('Input required and not supplied: key');
    if (key.includes(',') || key.length > 512) throw new Error(`Key Validation Error: ${key} cannot contain commas.`);
    let matched: string | undefined = existsSync(entryDir(s.cacheDir, key)) ? key : undefined;
    if (!matched) {
      for (const prefix of s.inputs['restore-keys']
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)) {
        matched = await newestWithPrefix(s.cacheDir, prefix);
        if (matched) break;
      }
    }
    const hit = matched === key;
    if (!matched) {
      if (s.inputs['fail-on-cache-miss'] === 'true')
        throw new Error(`Failed to restore cache entry. Exiting as fail-on-cache-miss is set. Input key: ${key}`);
      s.log.write(`Cache not found for input keys: ${key}`);
    } else if (s.inputs['lookup-only'] === 'true') {
      s.log.write(`Cache found and can be restored from key: ${matched}`);
    } else {
      const started = performance.now();
      for (const relative of paths) {
        const from = path.join(entryDir(s.cacheDir, matched), 'files', relative);
        if (!existsSync(from)) continue;
        const to = path.join(s.workspace, relative);
        await rm(to, { recursive: true, force: true });
        await copyTree(from, to);
      }
      s.log.write(
        `Cache restored from key: ${matched} (${paths.join(', ')}, ${Math.round(performance.now() - started)} ms)`,
      );
    }
    if (!hit && s.inputs['lookup-only'] !== 'true') {
      s.atJobEnd(async (job) => {
        if (job.status !== 'success') {
          s.log.write(`Not saving cache for key ${key}: the job did not succeed`);
          return;
        }
        if (existsSync(entryDir(s.cacheDir, key))) {
          s.log.write(
            `Failed to save: Unable to reserve cache with key ${key}, another job may be creating this cache.`,
          );
          return;
        }
        const staging = path.join(s.cacheDir, `.save-${process.pid}-${Date.now()}`);
        let saved = 0;
        for (const relative of paths) {
          const from = path.join(s.workspace, relative);
          if (!existsSync(from)) continue;
          await copyTree(from, path.join(staging, 'files', relative));
          saved++;
        }
        if (saved === 0) {
          s.log.write(
            `Path Validation Error: Path(s) specified in the action for caching do(es) not exist, hence no cache is being saved.`,
          );
          return;
        }
        await writeFile(path.join(staging, 'key'), key);
        await rename(staging, entryDir(s.cacheDir, key)).catch(async () => {
          await rm(staging, { recursive: true, force: true });
        });
        s.log.write(`Cache saved with key: ${key}`);
      });
    }
    return { outputs: { 'cache-hit': hit ? 'true' : 'false' } };
  },
};
