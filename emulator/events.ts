/**
 * The events the emulator records — push, pull_request (opened, synchronize, closed, reopened,
 * edited) and workflow_dispatch — with GitHub's webhook payloads, for the local runner to start the
 * workflows they trigger. Every payload is validated against GitHub's webhook description.
 */
import type { TokenKind } from './tokens.ts';

export type EventName = 'push' | 'pull_request' | 'workflow_dispatch';

export interface EmulatorEvent {
  /** Increasing delivery number (GitHub's `X-GitHub-Delivery` is a GUID; order matters here). */
  id: number;
  /** GitHub's event name (`X-GitHub-Event`). */
  name: EventName;
  action?: string;
  /** `owner/name`. */
  repository: string;
  payload: Record<string, unknown>;
  /**
   * Who caused it. GitHub starts no workflow for events caused with a run's GITHUB_TOKEN
   * (`kind: 'github-actions'`) except workflow_dispatch; the runner applies that rule.
   */
  actor: { login: string; kind: TokenKind | 'anonymous' };
  createdAt: string;
  /** workflow_dispatch: the queued run the dispatch created (the runner executes it). */
  workflowRunId?: number;
}

export type EventListener = (event: EmulatorEvent) => void;

export interface EventFilter {
  name?: EventName;
  action?: string;
  repository?: string;
  /** Only events with a larger id. */
  after?: number;
}

function matches(event: EmulatorEvent, filter: EventFilter): boolean {
  return (
    (filter.name === undefined || event.name === filter.name) &&
    (filter.action === undefined || event.action === filter.action) &&
    (filter.repository === undefined || event.repository.toLowerCase() === filter.repository.toLowerCase()) &&
    (filter.after === undefined || event.id > filter.after)
  );
}

export class EventLog {
  private readonly events: EmulatorEvent[] = [];
  private readonly listeners = new Set<EventListener>();
  private nextId = 1;

  record(event: Omit<EmulatorEvent, 'id'>): EmulatorEvent {
    const recorded = { ...event, id: this.nextId++ };
    this.events.push(recorded);
    for (const listener of [...this.listeners]) {
      try {
        listener(recorded);
      } catch {
        // A subscriber's failure is the subscriber's; the emulator keeps serving.
      }
    }
    return recorded;
  }

  /** Calls `listener` for every event recorded from now on; returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  list(filter: EventFilter = {}): EmulatorEvent[] {
    return this.events.filter((event) => matches(event, filter));
  }

  /** The first event (already recorded or future) that matches, within `timeoutMs`. */
  waitFor(
    filter: EventFilter & { where?: (event: EmulatorEvent) => boolean },
    timeoutMs = 10_000,
  ): Promise<EmulatorEvent> {
    const accept = (event: EmulatorEvent) => matches(event, filter) && (filter.where?.(event) ?? true);
    const found = this.events.find(accept);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new Error(`no ${filter.name ?? ''} event matching ${JSON.stringify(filter)} within ${timeoutMs} ms`));
      }, timeoutMs);
      const unsubscribe = this.subscribe((event) => {
        if (!accept(event)) return;
        clearTimeout(timer);
        unsubscribe();
        resolve(event);
      });
    });
  }
}
