/**
 * The gate of a pull request, recomputed from the files in it: nothing the pull request says about
 * itself (a committed evidence.json, a hand-edited manifest, a loosened policy) is trusted.
 *
 * - The head's manifest names a new champion → the gate runs on that version's artifact and card
 *   from the head, against the base's champion, with the **base's** policy (the one in force; a
 *   policy change applies from the next promotion after it is merged).
 * - The head restores the base's `previous` (a revert of a promotion) → the restored artifact is
 *   verified (sha256, card, ONNX Runtime, golden outputs): it passed the gate when it was promoted.
 * - The champion is unchanged → its artifact is verified.
 *
 * The verdict goes on the head commit as the `model-gate` status and into one marked comment.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { GateEvidence } from '../../gates/evidence.ts';
import { runGate } from '../../gates/run-gate.ts';
import type { FlightTable } from '../data/flights.ts';
import { upsertMarkedComment } from '../forge/comments.ts';
import type { CommitState, Forge, ForgeComment } from '../forge/forge.ts';
import type { ProductionManifest } from '../manifest/schema.ts';
import { MANIFEST_PATH, readManifest } from '../manifest/store.ts';
import { EVIDENCE_FILE, versionDir } from '../registry/registry.ts';
import { errorMessage } from '../util/errors.ts';
import { nodeRepoFiles } from '../util/repo-files.ts';
import type { ActionsRun } from '../util/run-context.ts';
import { gateStatusDescription, gateStatusState, MODEL_GATE_CONTEXT, reportCommentBody } from './promotion-pr.ts';
import { verifyEntry } from './verify-version.ts';

export const POLICY_PATH = 'gates/policy.json';

export type PullRequestChange = 'promotion' | 'rollback' | 'unchanged';

/** Pure: what the pull request does to the champion. */
export function classifyChange(base: ProductionManifest | null, head: ProductionManifest): PullRequestChange {
  const same = (a: { version: string; sha256: string } | null | undefined, b: { version: string; sha256: string }) =>
    Boolean(a) && a!.version === b.version && a!.sha256 === b.sha256;
  if (base && same(base.champion, head.champion)) return 'unchanged';
  if (base && same(base.previous, head.champion)) return 'rollback';
  return 'promotion';
}

export interface PullRequestGateOptions {
  /** Checkout of the pull request's base commit: the gate's policy and the champion in force. */
  baseDir: string;
  /** Checkout of the pull request's head commit: the files under review. */
  headDir: string;
  /** Where evidence.json and gate-report.md of a re-run go (never into the checkouts). */
  outDir: string;
  table?: FlightTable;
  log?: (line: string) => void;
}

export interface PullRequestGate {
  change: PullRequestChange;
  version: string;
  state: CommitState;
  description: string;
  /** Markdown for the pull request comment. */
  report: string;
  /** The re-run's evidence, for a promotion. */
  evidence: GateEvidence | null;
  /** What the committed files claimed and the re-run did not confirm. */
  discrepancies: string[];
}

async function differs(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([readFile(a, 'utf8').catch(() => ''), readFile(b, 'utf8').catch(() => '')]);
  return x !== y;
}

export async function gatePullRequest(options: PullRequestGateOptions): Promise<PullRequestGate> {
  const log = options.log ?? (() => {});
  const baseFiles = nodeRepoFiles(options.baseDir);
  const headFiles = nodeRepoFiles(options.headDir);
  const base = await readManifest(baseFiles);
  const head = await readManifest(headFiles);
  if (!head) throw new Error(`the pull request deletes ${MANIFEST_PATH}`);
  const change = classifyChange(base, head);
  const version = head.champion.version;
  log(`${MANIFEST_PATH}: ${change} (champion ${base?.champion.version ?? 'none'} → ${version})`);

  if (change !== 'promotion') {
    const what = change === 'rollback' ? `rollback to \`${version}\`` : `champion \`${version}\` unchanged`;
    try {
      const verified = await verifyEntry(headFiles, head.champion, 'champion');
      const description =
        change === 'rollback'
          ? `rollback to ${version}: artifact verified (sha256, ONNX Runtime, ${verified.goldenExamples} golden outputs)`
          : `champion ${version} unchanged; artifact verified`;
      return {
        change,
        version,
        state: 'success',
        description,
        report: `## ✅ Model gate: ${what}\n\n${change === 'rollback' ? `The pull request restores the previous champion, which passed the gate when it was promoted. ` : ''}Its artifact \`${verified.path}\` was verified from this pull request's files: sha256 \`${verified.sha256}\` as ${MANIFEST_PATH} pins it, the card describes it, ONNX Runtime loads it and it reproduces the card's ${verified.goldenExamples} golden outputs (max |Δ| ${verified.goldenMaxDifference.toExponential(2)}).`,
        evidence: null,
        discrepancies: [],
      };
    } catch (error) {
      return {
        change,
        version,
        state: 'failure',
        description: `${what.replace(/`/g, '')}: ${errorMessage(error)}`.slice(0, 140),
        report: `## ❌ Model gate: ${what}\n\nThe artifact does not verify:\n\n\`\`\`\n${errorMessage(error)}\n\`\`\``,
        evidence: null,
        discrepancies: [],
      };
    }
  }

  // A promotion: gate the head's champion against the base's, with the base's policy.
  const discrepancies: string[] = [];
  if (base && (head.previous?.version !== base.champion.version || head.previous?.sha256 !== base.champion.sha256)) {
    discrepancies.push(
      `${MANIFEST_PATH} names previous ${head.previous?.version ?? 'none'}, but the champion being replaced is ${base.champion.version}: rollback would not return to it`,
    );
  }
  const candidateDir = path.join(options.headDir, versionDir(version));
  try {
    await verifyEntry(headFiles, head.champion, 'champion');
  } catch (error) {
    discrepancies.push(errorMessage(error));
  }
  // A fresh folder (the job's $RUNNER_TEMP/gate): the gate writes its evidence there, not in a checkout.
  await mkdir(options.outDir, { recursive: true });
  const run = await runGate({
    repoDir: options.baseDir,
    candidateDir,
    policyFile: path.join(options.baseDir, POLICY_PATH),
    outDir: options.outDir,
    table: options.table,
    log,
  });
  const committed = path.join(candidateDir, EVIDENCE_FILE);
  const claimed = await readFile(committed, 'utf8')
    .then((text) => (JSON.parse(text) as { verdict?: string }).verdict)
    .catch(() => undefined);
  if (claimed && claimed !== run.evidence.verdict) {
    discrepancies.push(
      `the committed ${versionDir(version)}/${EVIDENCE_FILE} says "${claimed}", the gate re-run from this pull request's files says "${run.evidence.verdict}"`,
    );
  }
  const policyChanged = await differs(path.join(options.baseDir, POLICY_PATH), path.join(options.headDir, POLICY_PATH));
  if (policyChanged) log(`${POLICY_PATH} differs in this pull request; the base's policy was used`);
  const passed = run.evidence.verdict === 'pass' && discrepancies.length === 0;
  const notes = [
    `_Re-run from this pull request's files by the gate workflow, with the base branch's \`${POLICY_PATH}\` and gate code: committed evidence is not trusted._`,
    ...(policyChanged
      ? [
          `_This pull request changes \`${POLICY_PATH}\`: the policy in force on the base branch was used; the new one applies to promotions after this is merged._`,
        ]
      : []),
    ...discrepancies.map((d) => `> ❌ ${d}`),
  ];
  return {
    change,
    version,
    state: passed ? gateStatusState(run.evidence) : 'failure',
    description: passed
      ? gateStatusDescription(run.evidence)
      : discrepancies.length > 0 && run.evidence.verdict === 'pass'
        ? `FAIL: ${discrepancies[0]}`.slice(0, 140)
        : gateStatusDescription(run.evidence),
    report: `${reportCommentBody(run.report)}\n\n${notes.join('\n\n')}\n`,
    evidence: run.evidence,
    discrepancies,
  };
}

/** Posts a pull request gate's outcome: the marked comment and the `model-gate` status on the head. */
export async function publishPullRequestGate(
  forge: Forge,
  gate: PullRequestGate,
  target: { pullRequest: number; headSha: string; run?: ActionsRun },
): Promise<ForgeComment> {
  const { comment } = await upsertMarkedComment(forge, target.pullRequest, MODEL_GATE_CONTEXT, gate.report);
  await forge.createCommitStatus(target.headSha, {
    state: gate.state,
    context: MODEL_GATE_CONTEXT,
    description: gate.description,
    targetUrl: target.run?.url,
  });
  return comment;
}
