/** An EventSource fed by hand (tests, the CLI): `push(event)` delivers to every subscriber. */
import type { EventSource, WorkflowEvent } from './ports.ts';

export class EventQueue implements EventSource {
  private readonly listeners = new Set<(event: WorkflowEvent) => void>();

  subscribe(listener: (event: WorkflowEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  push(event: WorkflowEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
