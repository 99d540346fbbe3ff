/**
 * Events in GitHub's webhook shapes (the payload a workflow reads from GITHUB_EVENT_PATH), builders
 * for the four the lifecycle uses, and what a run needs to know from one: GITHUB_REF, GITHUB_SHA,
 * the changed files for path filters.
 */
import type { RepositorySource, WorkflowEvent } from './ports.ts';

export const ZERO_SHA = '0000000000000000000000000000000000000000';

type Payload = Record<string, unknown>;

function repositoryPayload(repository: RepositorySource, serverUrl: string): Payload {
  const [owner, name] = repository.fullName.split('/');
  return {
    name,
    full_name: repository.fullName,
    owner: { login: owner },
    default_branch: repository.defaultBranch,
    html_url: `${serverUrl}/${repository.fullName}`,
    clone_url: repository.cloneUrl,
  };
}

export interface EventContext {
  repository: RepositorySource;
  serverUrl: string;
  actor?: string;
}

function sender(actor: string): Payload {
  return { login: actor, type: 'User' };
}

/** A push of `ref` from `before` to `after` (resolved from the ref when omitted). */
export async function pushEvent(
  context: EventContext,
  options: { ref: string; after?: string; before?: string },
): Promise<WorkflowEvent> {
  const ref = options.ref.startsWith('refs/') ? options.ref : `refs/heads/${options.ref}`;
  const after = options.after ?? (await context.repository.resolve(ref));
  const before = options.before ?? ZERO_SHA;
  const actor = context.actor ?? 'local-user';
  return {
    name: 'push',
    payload: {
      ref,
      before,
      after,
      created: before === ZERO_SHA,
      deleted: false,
      forced: false,
      base_ref: null,
      compare: `${context.serverUrl}/${context.repository.fullName}/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`,
      commits: [],
      head_commit: { id: after },
      pusher: { name: actor },
      repository: repositoryPayload(context.repository, context.serverUrl),
      sender: sender(actor),
    },
  };
}

export type PullRequestAction = 'opened' | 'synchronize' | 'reopened' | 'closed' | 'edited' | 'labeled';

export async function pullRequestEvent(
  context: EventContext,
  options: { action: PullRequestAction; number: number; head: string; base?: string; title?: string },
): Promise<WorkflowEvent> {
  const base = options.base ?? context.repository.defaultBranch;
  const [headSha, baseSha] = await Promise.all([
    context.repository.resolve(options.head),
    context.repository.resolve(base),
  ]);
  const actor = context.actor ?? 'local-user';
  const repo = repositoryPayload(context.repository, context.serverUrl);
  const branchName = (ref: string) => ref.replace(/^refs\/heads\//, '');
  return {
    name: 'pull_request',
    payload: {
      action: options.action,
      number: options.number,
      pull_request: {
        number: options.number,
        title: options.title ?? `Pull request #${options.number}`,
        state: options.action === 'closed' ? 'closed' : 'open',
        html_url: `${context.serverUrl}/${context.repository.fullName}/pull/${options.number}`,
        head: { ref: branchName(options.head), sha: headSha, repo },
        base: { ref: branchName(base), sha: baseSha, repo },
        user: sender(actor),
      },
      repository: repo,
      sender: sender(actor),
    },
  };
}

export function workflowDispatchEvent(
  context: EventContext,
  options: { workflow: string; ref?: string; inputs?: Record<string, string> },
): WorkflowEvent {
  const ref = options.ref ?? context.repository.defaultBranch;
  const actor = context.actor ?? 'local-user';
  return {
    name: 'workflow_dispatch',
    payload: {
      inputs: options.inputs ?? {},
      ref: ref.startsWith('refs/') ? ref : `refs/heads/${ref}`,
      workflow: options.workflow,
      repository: repositoryPayload(context.repository, context.serverUrl),
      sender: sender(actor),
    },
  };
}

/** A schedule tick: `cron` selects the workflows listing that exact cron; without it, every scheduled workflow runs. */
export function scheduleEvent(context: EventContext, options: { cron?: string } = {}): WorkflowEvent {
  return {
    name: 'schedule',
    payload: {
      ...(options.cron ? { schedule: options.cron } : {}),
      repository: repositoryPayload(context.repository, context.serverUrl),
    },
  };
}

/** What a run needs from its event. */
export interface EventFacts {
  name: string;
  payload: Payload;
  /** GITHUB_REF. */
  ref: string;
  /** GITHUB_SHA: the commit whose workflow files run and which actions/checkout checks out. */
  sha: string;
  /** GITHUB_HEAD_REF / GITHUB_BASE_REF (pull requests only). */
  headRef: string;
  baseRef: string;
  /** The activity type (`opened`, `synchronize`, …) for events that have one. */
  action?: string;
  actor: string;
  /** Changed files for `paths` filters, or undefined when the event has none (tags, dispatch, schedule). */
  changedFiles?: () => Promise<string[]>;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function record(value: unknown): Payload {
  return value && typeof value === 'object' ? (value as Payload) : {};
}

/** Reads an event the way GitHub does to set GITHUB_REF/GITHUB_SHA and evaluate filters. */
export async function eventFacts(event: WorkflowEvent, repository: RepositorySource): Promise<EventFacts> {
  const payload = event.payload;
  const actor = text(record(payload.sender).login) || 'local-user';
  const defaultRef = `refs/heads/${repository.defaultBranch}`;
  switch (event.name) {
    case 'push': {
      const ref = text(payload.ref);
      const after = text(payload.after);
      const before = text(payload.before);
      if (!ref || !after) throw new Error('push event without ref or after');
      const isBranch = ref.startsWith('refs/heads/');
      return {
        name: event.name,
        payload,
        ref,
        sha: after,
        headRef: '',
        baseRef: '',
        actor,
        changedFiles: isBranch
          ? async () => {
              if (before && before !== ZERO_SHA) return repository.changedFiles(before, after);
              // A new branch: GitHub compares it with the default branch.
              const base = await repository.resolve(defaultRef);
              return repository.changedFiles(base, after, { mergeBase: true });
            }
          : undefined,
      };
    }
    case 'pull_request': {
      const pr = record(payload.pull_request);
      const number = Number(payload.number ?? pr.number);
      const head = record(pr.head);
      const base = record(pr.base);
      const mergeRef = `refs/pull/${number}/merge`;
      // GitHub runs pull_request workflows on its test merge commit (refs/pull/N/merge); a forge
      // that has no such ref gets the head commit.
      const sha = await repository.resolve(mergeRef).catch(() => text(head.sha));
      return {
        name: event.name,
        payload,
        ref: mergeRef,
        sha,
        headRef: text(head.ref),
        baseRef: text(base.ref),
        action: text(payload.action),
        actor,
        changedFiles: () => repository.changedFiles(text(base.sha), text(head.sha), { mergeBase: true }),
      };
    }
    case 'workflow_dispatch': {
      const raw = text(payload.ref) || defaultRef;
      const ref = raw.startsWith('refs/') ? raw : `refs/heads/${raw}`;
      return { name: event.name, payload, ref, sha: await repository.resolve(ref), headRef: '', baseRef: '', actor };
    }
    default:
      // schedule and every other event run on the default branch's latest commit.
      return {
        name: event.name,
        payload,
        ref: defaultRef,
        sha: await repository.resolve(defaultRef),
        headRef: '',
        baseRef: '',
        action: text(payload.action) || undefined,
        actor,
      };
  }
}
