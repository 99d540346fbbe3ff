/** The emulator's shared state: repositories, tokens, events, the API description and violations. */
import { randomBytes } from 'node:crypto';
import { type EmulatorEvent, type EventName, EventLog } from './events.ts';
import { ApiDescription } from './openapi/validator.ts';
import type { Site } from './present.ts';
import { timestamp } from './store/records.ts';
import type { Repository } from './store/repository.ts';
import { type Principal, TokenRegistry } from './tokens.ts';

/** A response, request or webhook payload that does not match GitHub's description. */
export interface Violation {
  kind: 'response' | 'webhook';
  where: string;
  problems: string[];
  at: string;
}

/** A push in flight through git-http-backend: who pushes, to which repository (for the hooks). */
export interface PushSession {
  repo: Repository;
  principal: Principal;
}

export class EmulatorCore {
  readonly repositories = new Map<string, Repository>();
  readonly tokens = new TokenRegistry();
  readonly events = new EventLog();
  readonly api: ApiDescription;
  readonly violations: Violation[] = [];
  readonly hookSecret = randomBytes(16).toString('hex');
  readonly pushes = new Map<string, PushSession>();
  readonly strict: boolean;
  site: Site = { api: 'http://127.0.0.1', web: 'http://127.0.0.1' };

  constructor(options: { strict: boolean; api?: ApiDescription }) {
    this.strict = options.strict;
    this.api = options.api ?? new ApiDescription();
  }

  repository(owner: string, name: string): Repository | undefined {
    return this.repositories.get(`${owner}/${name}`.toLowerCase());
  }

  addRepository(repo: Repository): void {
    this.repositories.set(repo.fullName.toLowerCase(), repo);
  }

  violation(kind: Violation['kind'], where: string, problems: string[]): void {
    this.violations.push({ kind, where, problems, at: timestamp() });
  }

  /** Validates a webhook payload against GitHub's description and records the event. */
  emit(
    repo: Repository,
    name: EventName,
    webhook: string,
    payload: Record<string, unknown>,
    principal: Principal | undefined,
    extra: Partial<Pick<EmulatorEvent, 'workflowRunId'>> = {},
  ): EmulatorEvent {
    const problems = this.api.validateWebhook(webhook, payload);
    if (problems.length > 0) this.violation('webhook', webhook, problems);
    return this.events.record({
      name,
      ...(typeof payload.action === 'string' ? { action: payload.action } : {}),
      repository: repo.fullName,
      payload,
      actor: principal
        ? { login: principal.actor.login, kind: principal.kind }
        : { login: 'anonymous', kind: 'anonymous' },
      createdAt: timestamp(),
      ...extra,
    });
  }
}
