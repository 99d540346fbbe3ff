/**
 * Commit messages of promotions and rollbacks. The trailers are the machine-readable link from a
 * manifest change to the model, its run and its gate evidence; `git log -- manifests/production.json`
 * plus these trailers is the deployment history.
 */

export const PROMOTE_SUBJECT_PREFIX = 'promote flight-delay ';
export const ROLLBACK_SUBJECT_PREFIX = 'rollback flight-delay ';
export const RELEASE_STEP_SUBJECT_PREFIX = 'release flight-delay ';

export type Trailers = Record<string, string>;

const TRAILER_LINE = /^([A-Za-z][A-Za-z0-9-]*):[ \t]*(.*)$/;
const REVERTS_LINE = /This reverts commit ([0-9a-f]{7,40})/;

/** Trailers of the last paragraph of a commit message (git's own rule: every line is `Key: value`). */
export function parseTrailers(message: string): Trailers {
  const paragraphs = message.trim().split(/\n[ \t]*\n/);
  if (paragraphs.length < 2) return {};
  const last = paragraphs[paragraphs.length - 1].split('\n');
  const trailers: Trailers = {};
  for (const line of last) {
    const match = TRAILER_LINE.exec(line.trim());
    if (!match) return {};
    trailers[match[1]] = match[2].trim();
  }
  return trailers;
}

/** The commit a message reverts: our `Reverts:` trailer, or the line `git revert` writes by hand. */
export function revertedCommit(message: string): string | null {
  const trailers = parseTrailers(message);
  if (trailers.Reverts) return trailers.Reverts;
  return REVERTS_LINE.exec(message)?.[1] ?? null;
}

export function isPromotion(message: string): boolean {
  const trailers = parseTrailers(message);
  return (
    message.startsWith(PROMOTE_SUBJECT_PREFIX) &&
    Boolean(trailers['Model-Version']) &&
    trailers['Gate-Verdict'] === 'pass'
  );
}

/** A shadow or canary step of a progressive release (lib/release/challenger-step.ts). */
export function isReleaseStep(message: string): boolean {
  const trailers = parseTrailers(message);
  return (
    message.startsWith(RELEASE_STEP_SUBJECT_PREFIX) &&
    Boolean(trailers['Model-Version']) &&
    (trailers['Release-Step'] === 'shadow' || trailers['Release-Step'] === 'canary')
  );
}

export interface ReleaseStepMessage {
  version: string;
  step: 'shadow' | 'canary';
  traffic: number;
  champion: string;
  reason?: string;
  run?: { id?: string; url?: string };
}

export function releaseStepMessage(r: ReleaseStepMessage): string {
  const share = `${Number((r.traffic * 100).toFixed(2))}%`;
  const what =
    r.step === 'shadow'
      ? `${r.version} scores the same requests as champion ${r.champion} off the hot path and answers none of them.`
      : `${r.version} answers a sticky ${share} of flights; champion ${r.champion} answers the rest.`;
  const body = [what, 'Undo: the rollback workflow (a git revert of this commit).'];
  if (r.reason?.trim()) body.push(`Reason: ${trailerValue(r.reason)}`);
  const trailers: [string, string][] = [
    ['Model-Version', r.version],
    ['Release-Step', r.step],
    ['Challenger-Traffic', String(r.traffic)],
    ['Champion-Version', r.champion],
  ];
  if (r.run?.id) trailers.push(['Run-Id', r.run.id]);
  if (r.run?.url) trailers.push(['Run-Url', r.run.url]);
  const subject = `${RELEASE_STEP_SUBJECT_PREFIX}${r.version}: ${r.step === 'shadow' ? 'shadow' : `canary ${share}`}`;
  return `${subject}\n\n${body.join('\n')}\n\n${trailers.map(([k, v]) => `${k}: ${trailerValue(v)}`).join('\n')}\n`;
}

export interface PromotionMessage {
  version: string;
  sha256: string;
  previousVersion: string | null;
  run: { id?: string; url?: string } | undefined;
  evidencePath: string;
  summary: string;
}

function trailerValue(value: string): string {
  // A newline would end the trailer block; keep every value on one line.
  return value.replace(/\s+/g, ' ').trim();
}

export function promotionMessage(p: PromotionMessage): string {
  const trailers: [string, string][] = [
    ['Model-Version', p.version],
    ['Model-Sha256', p.sha256],
    ['Previous-Version', p.previousVersion ?? 'none'],
  ];
  if (p.run?.id) trailers.push(['Run-Id', p.run.id]);
  if (p.run?.url) trailers.push(['Run-Url', p.run.url]);
  if (!p.run?.id && !p.run?.url) trailers.push(['Run-Id', 'local']);
  trailers.push(['Gate-Evidence', p.evidencePath], ['Gate-Verdict', 'pass']);
  return `${PROMOTE_SUBJECT_PREFIX}${p.version}\n\n${p.summary.trim()}\n\n${trailers.map(([k, v]) => `${k}: ${trailerValue(v)}`).join('\n')}\n`;
}

export interface RollbackMessage {
  rolledBack: string;
  restored: string;
  reverts: string;
  reason?: string;
  /** The reverted commit is a shadow or canary step (its subject): the champion never changed. */
  step?: string;
}

export function rollbackMessage(r: RollbackMessage): string {
  const body = [`This reverts commit ${r.reverts} (${r.step ?? `${PROMOTE_SUBJECT_PREFIX}${r.rolledBack}`}).`];
  body.push(
    r.step
      ? `Champion ${r.restored} answers every request again; the challenger ${r.rolledBack} is back where it was before that step.`
      : `Champion ${r.restored} is restored; ${r.rolledBack} stays in the registry as retired.`,
  );
  if (r.reason) body.push(`Reason: ${r.reason.trim()}`);
  const trailers = [`Model-Version: ${r.restored}`, `Rolled-Back-Version: ${r.rolledBack}`, `Reverts: ${r.reverts}`];
  return `${ROLLBACK_SUBJECT_PREFIX}${r.rolledBack} to ${r.restored}\n\n${body.join('\n')}\n\n${trailers.join('\n')}\n`;
}
