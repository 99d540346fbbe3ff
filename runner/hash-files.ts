/**
 * `hashFiles(patterns…)`: one SHA-256 over the SHA-256 of each matching file under the workspace
 * (sorted by path; `!pattern` excludes), or '' when nothing matches — the shape of GitHub's result,
 * for cache keys. The evaluator calls functions synchronously, hence the sync file reads.
 */
import { createHash } from 'node:crypto';
import { globSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { FunctionDefinition } from '@actions/expressions/funcs/info';
import { expressionFunction, stringData } from './expressions.ts';

export function hashFiles(workspace: string, patterns: string[]): string {
  const include = patterns.filter((p) => !p.startsWith('!'));
  const exclude = patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
  const files = globSync(include, { cwd: workspace })
    .filter((file) => !exclude.some((pattern) => path.matchesGlob(file, pattern)))
    .filter((file) => statSync(path.join(workspace, file)).isFile())
    .sort();
  if (files.length === 0) return '';
  const total = createHash('sha256');
  for (const file of files)
    total.update(
      createHash('sha256')
        .update(readFileSync(path.join(workspace, file)))
        .digest(),
    );
  return total.digest('hex');
}

export function hashFilesFunction(workspace: string): FunctionDefinition {
  return expressionFunction('hashFiles', { min: 1, max: 255 }, (...patterns) =>
    stringData(
      hashFiles(
        workspace,
        patterns.map((p) => p.coerceString()),
      ),
    ),
  );
}
