/**
 * GitHub's `concurrency:` groups: at most one run (or job) in progress and one pending per group. A
 * newcomer replaces the pending one (which is cancelled), and with `cancel-in-progress: true` also
 * cancels the one in progress.
 */

interface Member {
  cancel: () => void;
  admit?: (admitted: boolean) => void;
}

export interface ConcurrencyLease {
  /** False when a later member replaced this one while it was pending. */
  admitted: boolean;
  release(): void;
}

export class ConcurrencyGroups {
  private readonly groups = new Map<string, { running?: Member; pending?: Member }>();

  /**
   * Waits for the group's turn. `cancel` is called if a later member with `cancel-in-progress`
   * arrives while this one runs.
   */
  async enter(group: string, options: { cancelInProgress: boolean; cancel: () => void }): Promise<ConcurrencyLease> {
    const state = this.groups.get(group) ?? {};
    this.groups.set(group, state);
    const member: Member = { cancel: options.cancel };
    const release = () => {
      if (state.running !== member) return;
      state.running = state.pending;
      state.pending = undefined;
      if (state.running) state.running.admit?.(true);
      else this.groups.delete(group);
    };
    if (!state.running) {
      state.running = member;
      return { admitted: true, release };
    }
    state.pending?.admit?.(false);
    if (options.cancelInProgress) state.running.cancel();
    state.pending = member;
    const admitted = await new Promise<boolean>((resolve) => {
      member.admit = resolve;
    });
    return { admitted, release };
  }
}
