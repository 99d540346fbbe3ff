/**
 * Loads a workflow file with GitHub's own parser (`@actions/workflow-parser`: YAML, the workflow
 * schema, expression syntax, job dependencies) into the runner's view of it. GitHub's converted
 * model drops some keys the runner needs (`permissions`, `defaults`, `timeout-minutes`, step `with`,
 * `shell`, `working-directory`), so those are read from the same validated token tree, which also
 * keeps every value's line for error messages.
 */
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import type { EventsConfig } from '@actions/workflow-parser/model/workflow-template';
import type { StringToken } from '@actions/workflow-parser/templates/tokens/string-token';
import { githubParser } from './github-parser.ts';
import { tokenPlace } from './expressions.ts';
import { entry, field, sequenceItems } from './tokens.ts';

/** A workflow or action file the runner refuses, with every problem as `file (Line: n, Col: m): what`. */
export class WorkflowFileError extends Error {
  readonly file: string;
  readonly problems: string[];
  constructor(file: string, problems: string[]) {
    super(`${file}: the local runner cannot run it:\n  ${problems.join('\n  ')}`);
    this.file = file;
    this.problems = problems;
  }
}

export interface WorkflowStep {
  /** The step's id (`id:` or GitHub's generated `__run`, `__actions_checkout`, …). */
  id: string;
  /** Whether the id was written in the file (only those appear in the `steps` context). */
  explicitId: boolean;
  name?: TemplateToken;
  if: TemplateToken;
  env?: TemplateToken;
  continueOnError?: TemplateToken;
  timeoutMinutes?: TemplateToken;
  run?: TemplateToken;
  uses?: StringToken;
  with?: TemplateToken;
  shell?: TemplateToken;
  workingDirectory?: TemplateToken;
  /** `file (Line: n, Col: m)` of the step. */
  place: string;
}

export interface WorkflowJob {
  id: string;
  name?: TemplateToken;
  needs: string[];
  if: TemplateToken;
  env?: TemplateToken;
  outputs?: TemplateToken;
  concurrency?: TemplateToken;
  permissions?: TemplateToken;
  defaults?: TemplateToken;
  timeoutMinutes?: TemplateToken;
  continueOnError?: TemplateToken;
  runsOn?: TemplateToken;
  environment?: TemplateToken;
  steps: WorkflowStep[];
  place: string;
}

export interface Workflow {
  /** Repository-relative path, `.github/workflows/train.yml`. */
  path: string;
  /** The file as written (recorded with runs). */
  content: string;
  /** `name:`, or the path as GitHub shows a nameless workflow. */
  name: string;
  runName?: TemplateToken;
  events: EventsConfig;
  permissions?: TemplateToken;
  env?: TemplateToken;
  defaults?: TemplateToken;
  concurrency?: TemplateToken;
  jobs: WorkflowJob[];
}

/** Parses and validates a workflow; throws WorkflowFileError naming file, line and problem. */
export async function loadWorkflow(file: { path: string; content: string }): Promise<Workflow> {
  const parser = await githubParser();
  const parsed = parser.parseWorkflow({ name: file.path, content: file.content });
  const errorsOf = () => parsed.context.errors.getErrors().map((e) => e.message);
  if (parsed.context.errors.count > 0 || !parsed.value) throw new WorkflowFileError(file.path, errorsOf());
  const template = await parser.convertWorkflowTemplate(parsed.context, parsed.value);
  if (template.errors?.length)
    throw new WorkflowFileError(
      file.path,
      template.errors.map((e) => e.Message),
    );

  const root = parsed.value;
  const rawJobs = field(root, 'jobs');
  const problems: string[] = [];
  const jobs: WorkflowJob[] = [];
  for (const job of template.jobs) {
    const raw = field(rawJobs, job.id.value);
    const place = tokenPlace(job.id, file.path);
    if (job.type !== 'job') {
      problems.push(`${place}: job '${job.id.value}' calls a reusable workflow, which the local runner does not run`);
      continue;
    }
    for (const unsupported of ['strategy', 'container', 'services'] as const) {
      const found = entry(raw, unsupported);
      if (found)
        problems.push(
          `${tokenPlace(found.key, file.path)}: jobs.${job.id.value}.${unsupported} is not supported by the local runner`,
        );
    }
    const rawSteps = sequenceItems(field(raw, 'steps'));
    const steps: WorkflowStep[] = [];
    for (const [index, step] of job.steps.entries()) {
      const rawStep = rawSteps[index];
      if (!('run' in step) && !('uses' in step)) {
        problems.push(`${tokenPlace(rawStep, file.path)}: only run: and uses: steps are supported by the local runner`);
        continue;
      }
      steps.push({
        id: step.id,
        explicitId: field(rawStep, 'id') !== undefined,
        name: step.name,
        // The converter gives every run/uses step an `if:` (GitHub's success() when none is written).
        if: step.if,
        env: step.env,
        continueOnError: field(rawStep, 'continue-on-error'),
        timeoutMinutes: field(rawStep, 'timeout-minutes'),
        run: 'run' in step ? step.run : undefined,
        uses: 'uses' in step ? step.uses : undefined,
        with: field(rawStep, 'with'),
        shell: field(rawStep, 'shell'),
        workingDirectory: field(rawStep, 'working-directory'),
        place: tokenPlace(rawStep, file.path),
      });
    }
    jobs.push({
      id: job.id.value,
      name: field(raw, 'name'),
      needs: (job.needs ?? []).map((n) => n.value),
      if: job.if,
      env: job.env,
      outputs: job.outputs,
      concurrency: job.concurrency,
      permissions: field(raw, 'permissions'),
      defaults: field(raw, 'defaults'),
      timeoutMinutes: field(raw, 'timeout-minutes'),
      continueOnError: field(raw, 'continue-on-error'),
      runsOn: job['runs-on'],
      environment: job.environment,
      steps,
      place,
    });
  }
  if (problems.length) throw new WorkflowFileError(file.path, problems);
  const name = field(root, 'name');
  return {
    path: file.path,
    content: file.content,
    name: name && name.templateTokenType === 0 ? (name as StringToken).value : file.path,
    runName: field(root, 'run-name'),
    events: template.events,
    permissions: field(root, 'permissions'),
    env: template.env,
    defaults: field(root, 'defaults'),
    concurrency: template.concurrency,
    jobs,
  };
}
