/**
 * Branch protection as GitHub applies it: required status checks on merges (405 "Required status
 * check "model-gate" is expected.") and on pushes (GH006), no force-push, no deletion, changes only
 * through pull requests when reviews are required; administrators bypass unless `enforce_admins`.
 */
import { combinedState } from './present.ts';
import { ZERO_SHA } from './store/git.ts';
import type { ProtectionRecord, StatusRecord } from './store/records.ts';
import type { Repository } from './store/repository.ts';
import type { Principal } from './tokens.ts';

export function protectionOf(repo: Repository, branch: string): ProtectionRecord | undefined {
  return repo.state.protections.find((p) => p.branch === branch);
}

/** The latest status of each context on `sha`, oldest first (the order GitHub's combined status lists them). */
export function latestStatuses(repo: Repository, sha: string): StatusRecord[] {
  const latest = new Map<string, StatusRecord>();
  for (const s of repo.state.statuses) {
    if (s.sha !== sha) continue;
    const seen = latest.get(s.context);
    if (!seen || seen.id < s.id) latest.set(s.context, s);
  }
  return [...latest.values()].sort((a, b) => a.id - b.id);
}

export function combinedStatusOf(repo: Repository, sha: string) {
  const statuses = latestStatuses(repo, sha);
  return { state: combinedState(statuses), statuses };
}

/** GitHub's words for required contexts that are not green on `sha`, or undefined when all are. */
export function requiredChecksProblem(repo: Repository, protection: ProtectionRecord, sha: string): string | undefined {
  const contexts = protection.requiredStatusChecks?.contexts ?? [];
  if (contexts.length === 0) return undefined;
  const latest = new Map(latestStatuses(repo, sha).map((s) => [s.context, s.state]));
  const expected = contexts.filter((c) => !latest.has(c) || latest.get(c) === 'pending');
  const failing = contexts.filter((c) => latest.get(c) === 'failure' || latest.get(c) === 'error');
  if (expected.length === 0 && failing.length === 0) return undefined;
  if (contexts.length === 1) {
    return `Required status check "${contexts[0]}" is ${failing.length > 0 ? 'failing' : 'expected'}.`;
  }
  if (failing.length === 0) return `${expected.length} of ${contexts.length} required status checks are expected.`;
  return `${failing.length + expected.length} of ${contexts.length} required status checks have not succeeded: ${failing.length} failing${expected.length > 0 ? `, ${expected.length} expected` : ''}.`;
}

/** Whether this principal's changes skip the branch's rules (an admin, when admins are not enforced). */
export function bypasses(protection: ProtectionRecord, principal: Principal | undefined): boolean {
  return Boolean(principal?.admin) && !protection.enforceAdmins;
}

/**
 * Why a direct update of `ref` from `before` to `after` (a push, or a ref update through the API)
 * is refused, as GH006 lines, or an empty list when it is allowed. `isAncestor` answers with the
 * pushed objects in reach (a push's quarantine).
 */
export async function refUpdateProblems(
  repo: Repository,
  principal: Principal | undefined,
  update: { ref: string; before: string; after: string },
  isAncestor: (ancestor: string, descendant: string) => Promise<boolean>,
): Promise<string[]> {
  if (!update.ref.startsWith('refs/heads/')) return [];
  const branch = update.ref.slice('refs/heads/'.length);
  const protection = protectionOf(repo, branch);
  if (!protection || bypasses(protection, principal)) return [];
  const problems: string[] = [];
  if (update.after === ZERO_SHA) {
    if (!protection.allowDeletions) problems.push('Cannot delete this branch');
  } else {
    if (
      update.before !== ZERO_SHA &&
      !protection.allowForcePushes &&
      !(await isAncestor(update.before, update.after))
    ) {
      problems.push('Cannot force-push to this branch');
    }
    if (protection.requiredPullRequestReviews) problems.push('Changes must be made through a pull request.');
    const checks = requiredChecksProblem(repo, protection, update.after);
    if (checks) problems.push(checks);
  }
  return problems.length > 0 ? [`GH006: Protected branch update failed for ${update.ref}.`, ...problems] : [];
}
