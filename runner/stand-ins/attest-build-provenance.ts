/**
 * actions/attest-build-provenance: build provenance needs GitHub's OIDC token and Sigstore, neither
 * of which exists on one machine, so the step is recorded as skipped with a line saying so.
 */
import type { StandIn } from './stand-in.ts';

export const attestBuildProvenance: StandIn = {
  repository: 'actions/attest-build-provenance',
  versions: {
    a2bbfa25375fe432b6a289bc6b6cd05ecd0c4c32: 'v4.1.0',
  },
  inputs: {},
  ignoredInputs: [
    'subject-path',
    'subject-digest',
    'subject-name',
    'subject-checksums',
    'push-to-registry',
    'create-storage-record',
    'show-summary',
    'github-token',
  ],
  async run(s) {
    const subject = s.inputs['subject-path'] || s.inputs['subject-name'] || s.inputs['subject-digest'] || 'the subject';
    const reason = `attestation of ${subject} skipped: build provenance needs GitHub's OIDC token and Sigstore, which the local runner does not have`;
    s.log.write(reason);
    return { skipped: reason };
  },
};
