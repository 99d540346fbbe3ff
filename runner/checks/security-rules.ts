/**
 * The project's security rules for workflow files (issue 10, item 2), checked on GitHub's own parse
 * of each file so every finding has a line:
 * - `permissions`: every job has least-privilege `permissions:` — its own, or the workflow's; never
 *   `write-all`/`read-all`; write access granted on the job that needs it, not workflow-wide;
 * - `pinned-actions`: every third-party action pinned to a full 40-hex commit SHA with its version
 *   in a comment (`@<sha> # v4.2.2`); Docker images by `@sha256:` digest;
 * - `run-expressions`: no `${{ }}` inside `run:` — values (event data, inputs, outputs) reach
 *   scripts through `env:`, so nothing is spliced into shell code (stricter than "event data and
 *   inputs only": any value can carry attacker-controlled text);
 * - `persist-credentials`: `actions/checkout` with `persist-credentials: false` unless a later step
 *   of the job runs `git push`;
 * - `pull-request-target`: the trigger is not used (it runs with secrets on fork code).
 */
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import type { BasicExpressionToken } from '@actions/workflow-parser/templates/tokens/basic-expression-token';
import { githubParser } from '../github-parser.ts';
import { entry, field, literalText, mappingEntries, sequenceItems } from '../tokens.ts';
import type { Finding } from './finding.ts';

export const SECURITY_RULES = [
  'permissions',
  'pinned-actions',
  'run-expressions',
  'persist-credentials',
  'pull-request-target',
] as const;

const PINNED = /^[^@\s]+@[0-9a-f]{40}$/;
const DOCKER_DIGEST = /^docker:\/\/[^@\s]+@sha256:[0-9a-f]{64}$/;
const VERSION_COMMENT = /#\s*v?\d+(\.\d+)*\S*/;

export async function checkWorkflowSecurity(file: { path: string; content: string }): Promise<Finding[]> {
  const parsed = (await githubParser()).parseWorkflow({ name: file.path, content: file.content });
  const errors = parsed.context.errors.getErrors();
  if (errors.length || !parsed.value) {
    return errors.map((e) => ({
      file: file.path,
      line: e.range?.start.line,
      column: e.range?.start.column,
      check: 'parse',
      message: e.rawMessage,
    }));
  }
  const lines = file.content.split('\n');
  const findings: Finding[] = [];
  const add = (rule: (typeof SECURITY_RULES)[number], token: TemplateToken | undefined, message: string) =>
    findings.push({
      file: file.path,
      line: token?.range?.start.line,
      column: token?.range?.start.column,
      check: rule,
      message,
    });
  const root = parsed.value;

  const on = entry(root, 'on');
  const triggers = on
    ? [
        literalText(on.value),
        ...sequenceItems(on.value).map(literalText),
        ...mappingEntries(on.value).map((e) => literalText(e.key)),
      ]
    : [];
  if (triggers.includes('pull_request_target'))
    add(
      'pull-request-target',
      on?.key,
      'pull_request_target runs with secrets and a write token on code from forks; use pull_request',
    );

  const workflowPermissions = entry(root, 'permissions');
  checkPermissionValue(workflowPermissions, 'the workflow', add);
  if (workflowPermissions && mappingEntries(workflowPermissions.value).some((e) => literalText(e.value) === 'write')) {
    add(
      'permissions',
      workflowPermissions.key,
      'write access at workflow level reaches every job; grant it in the permissions: of the job that needs it',
    );
  }

  for (const job of mappingEntries(field(root, 'jobs'))) {
    const jobId = literalText(job.key) ?? '?';
    const jobPermissions = entry(job.value, 'permissions');
    if (!jobPermissions && !workflowPermissions) {
      add(
        'permissions',
        job.key,
        `job '${jobId}' has no permissions: (neither its own nor the workflow's), so it gets the repository's default token`,
      );
    }
    checkPermissionValue(jobPermissions, `job '${jobId}'`, add);

    const reusable = entry(job.value, 'uses');
    if (reusable) checkPinned(reusable.value, lines, add);
    const steps = sequenceItems(field(job.value, 'steps'));
    const pushes = steps.map((step) => /\bgit\s+push\b/.test(runText(field(step, 'run'))));
    steps.forEach((step, index) => {
      const uses = field(step, 'uses');
      if (uses) checkPinned(uses, lines, add);
      const run = field(step, 'run');
      if (run?.isExpression) {
        const expressions = (run as BasicExpressionToken).originalExpressions ?? [run as BasicExpressionToken];
        add(
          'run-expressions',
          run,
          `\${{ }} inside run: (${expressions.map((e) => `\${{ ${e.expression} }}`).join(', ')}); pass values through env: and use "$VAR"`,
        );
      }
      const action = literalText(uses);
      if (action?.startsWith('actions/checkout@')) {
        const persist = literalText(field(field(step, 'with'), 'persist-credentials'));
        const laterPush = pushes.slice(index + 1).some(Boolean);
        if (persist !== 'false' && !laterPush) {
          add(
            'persist-credentials',
            uses,
            `actions/checkout leaves the token in .git/config but no later step of job '${jobId}' pushes; set persist-credentials: false`,
          );
        }
      }
    });
  }
  return findings;
}

type Add = (rule: (typeof SECURITY_RULES)[number], token: TemplateToken | undefined, message: string) => void;

function checkPermissionValue(
  permissions: { key: TemplateToken; value: TemplateToken } | undefined,
  owner: string,
  add: Add,
): void {
  const value = literalText(permissions?.value);
  if (value === 'write-all' || value === 'read-all') {
    add('permissions', permissions?.key, `${owner} uses permissions: ${value}; list only the scopes it needs`);
  }
}

function checkPinned(uses: TemplateToken, lines: string[], add: Add): void {
  const value = literalText(uses) ?? '';
  if (value.startsWith('./')) return;
  if (value.startsWith('docker://')) {
    if (!DOCKER_DIGEST.test(value))
      add('pinned-actions', uses, `${value} is not pinned to an image digest (@sha256:…)`);
    return;
  }
  if (!PINNED.test(value)) {
    add('pinned-actions', uses, `${value} is not pinned to a full commit SHA (owner/repo@<40 hex> # vX.Y.Z)`);
    return;
  }
  const line = uses.range ? (lines[uses.range.start.line - 1] ?? '') : '';
  const comment = line.slice(line.indexOf(value) + value.length);
  if (!VERSION_COMMENT.test(comment))
    add('pinned-actions', uses, `${value} has no version comment (# vX.Y.Z) after its SHA`);
}

function runText(token: TemplateToken | undefined): string {
  if (!token) return '';
  return (
    literalText(token) ?? (token as { source?: string }).source ?? (token as BasicExpressionToken).expression ?? ''
  );
}
