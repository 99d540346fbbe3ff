/**
 * Which workflows an event starts, by GitHub's rules: the event must be listed under `on:`, activity
 * `types` must include the event's action (pull_request defaults to opened, synchronize, reopened),
 * `branches`/`tags` (and their `-ignore` forms) must select the ref — for pull requests, the base
 * branch — and `paths` must select a changed file. A push of a tag ignores path filters, and a
 * workflow that filters only branches does not run for tags (and the reverse).
 */
import type { EventFacts } from './events.ts';
import { namesSelect, pathsSelect } from './filter-patterns.ts';
import type { Workflow } from './workflow.ts';

export interface TriggerDecision {
  workflow: Workflow;
  runs: boolean;
  /** Why not, for the CLI and the logs. */
  reason?: string;
}

type Filter = {
  types?: string[];
  branches?: string[];
  'branches-ignore'?: string[];
  tags?: string[];
  'tags-ignore'?: string[];
  paths?: string[];
  'paths-ignore'?: string[];
};

const DEFAULT_TYPES: Record<string, string[]> = {
  pull_request: ['opened', 'synchronize', 'reopened'],
  pull_request_target: ['opened', 'synchronize', 'reopened'],
};

function refFilter(filter: Filter, ref: string): string | undefined {
  const hasBranchFilter = filter.branches !== undefined || filter['branches-ignore'] !== undefined;
  const hasTagFilter = filter.tags !== undefined || filter['tags-ignore'] !== undefined;
  if (ref.startsWith('refs/tags/')) {
    if (hasBranchFilter && !hasTagFilter) return 'only branches are filtered, so tags do not run it';
    const tag = ref.slice('refs/tags/'.length);
    return namesSelect(filter.tags, filter['tags-ignore'], tag) ? undefined : `tag ${tag} is filtered out`;
  }
  if (hasTagFilter && !hasBranchFilter) return 'only tags are filtered, so branches do not run it';
  const branch = ref.replace(/^refs\/heads\//, '');
  return namesSelect(filter.branches, filter['branches-ignore'], branch)
    ? undefined
    : `branch ${branch} is filtered out`;
}

async function decide(workflow: Workflow, event: EventFacts): Promise<string | undefined> {
  const events = workflow.events as Record<string, unknown>;
  if (!(event.name in events)) return `not triggered by ${event.name}`;
  const filter = (events[event.name] ?? {}) as Filter;
  const types = filter.types ?? DEFAULT_TYPES[event.name];
  if (types && event.action !== undefined && !types.includes(event.action)) {
    return `${event.name} activity ${event.action} is not in types [${types.join(', ')}]`;
  }
  switch (event.name) {
    case 'workflow_dispatch': {
      const wanted = String(event.payload.workflow ?? '');
      const matches = wanted === workflow.path || wanted === workflow.path.split('/').pop();
      return matches ? undefined : `dispatch is for ${wanted}`;
    }
    case 'schedule': {
      const cron = event.payload.schedule;
      if (cron === undefined) return undefined;
      const crons = (workflow.events.schedule ?? []).map((s) => s.cron);
      return crons.includes(String(cron)) ? undefined : `no schedule with cron '${String(cron)}'`;
    }
    case 'push':
    case 'pull_request':
    case 'pull_request_target': {
      const ref = event.name === 'push' ? event.ref : `refs/heads/${event.baseRef}`;
      const refProblem = refFilter(filter, ref);
      if (refProblem) return refProblem;
      if (!event.changedFiles || (filter.paths === undefined && filter['paths-ignore'] === undefined)) return undefined;
      const changed = await event.changedFiles();
      return pathsSelect(filter, changed)
        ? undefined
        : `no changed file passes the paths filter (${changed.length} changed)`;
    }
    default:
      return undefined;
  }
}

export async function triggeredWorkflows(workflows: Workflow[], event: EventFacts): Promise<TriggerDecision[]> {
  return Promise.all(
    workflows.map(async (workflow) => {
      const reason = await decide(workflow, event);
      return reason === undefined ? { workflow, runs: true } : { workflow, runs: false, reason };
    }),
  );
}
