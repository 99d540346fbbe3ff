/** The stand-ins the local runner has, and how a step's `uses:` is resolved to a local action or one of them. */
import { attestBuildProvenance } from './attest-build-provenance.ts';
import { cache } from './cache.ts';
import { checkout } from './checkout.ts';
import { createGithubAppToken } from './create-github-app-token.ts';
import { setupNode } from './setup-node.ts';
import type { StandIn } from './stand-in.ts';
import { uploadArtifact } from './upload-artifact.ts';

export const STAND_INS: readonly StandIn[] = [
  checkout,
  setupNode,
  createGithubAppToken,
  attestBuildProvenance,
  uploadArtifact,
  cache,
];

export type ActionReference =
  { kind: 'local'; path: string } | { kind: 'stand-in'; standIn: StandIn; sha: string; version: string };

function known(standIns: readonly StandIn[]): string {
  return standIns
    .flatMap((s) => Object.entries(s.versions).map(([sha, version]) => `${s.repository}@${sha} # ${version}`))
    .join(', ');
}

/** Resolves `uses:`; throws `<place>: <problem>` for anything the local runner cannot run. */
export function resolveUses(uses: string, place: string, standIns: readonly StandIn[] = STAND_INS): ActionReference {
  if (uses.startsWith('./')) return { kind: 'local', path: uses.replace(/\/+$/, '') };
  if (uses.startsWith('docker://'))
    throw new Error(`${place}: ${uses}: Docker actions are not supported by the local runner`);
  const at = uses.lastIndexOf('@');
  const name = at > 0 ? uses.slice(0, at) : uses;
  const ref = at > 0 ? uses.slice(at + 1) : '';
  const [owner, repo, ...subPath] = name.split('/');
  const repository = `${owner}/${repo}`;
  const standIn = standIns.find((s) => s.repository.toLowerCase() === repository.toLowerCase());
  if (!standIn || subPath.length > 0) {
    throw new Error(
      `${place}: unknown action ${uses}: the local runner has no stand-in for it (stand-ins: ${known(standIns)})`,
    );
  }
  const version = standIn.versions[ref];
  if (!version) {
    throw new Error(`${place}: ${uses} is not a pinned version the local runner knows: pin one of ${known([standIn])}`);
  }
  return { kind: 'stand-in', standIn, sha: ref, version };
}
