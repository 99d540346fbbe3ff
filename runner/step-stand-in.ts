/** `uses: owner/repo@sha` steps run by their local stand-in (see stand-ins/). */
import type { StepOutcome, StepRuntime } from './job.ts';
import { checkStandInInputs, type StandIn } from './stand-ins/stand-in.ts';

export async function runStandInStep(
  runtime: StepRuntime,
  standIn: StandIn,
  label: string,
  given: Record<string, string>,
): Promise<StepOutcome> {
  const { log } = runtime;
  const inputs = Object.fromEntries(Object.entries(given).map(([k, v]) => [k.toLowerCase(), v]));
  if (Object.keys(inputs).length) {
    log.write('with:');
    for (const [key, value] of Object.entries(inputs)) log.write(`  ${key}: ${value}`);
  }
  log.write(`(local stand-in for ${label})`);
  log.endGroup();
  const unsupported = checkStandInInputs(standIn, inputs);
  if (unsupported.length) {
    return {
      status: 'failure',
      error: `${label}: the local stand-in does not implement input(s) '${unsupported.join("', '")}'`,
    };
  }
  const result = await standIn.run({
    inputs: { ...standIn.inputs, ...inputs },
    workspace: runtime.folders.workspace,
    event: runtime.event,
    repository: runtime.repository,
    jobToken: runtime.jobToken,
    tokens: runtime.tokens,
    log,
    nodePath: runtime.nodePath,
    mask: (value) => runtime.masker.add(value),
    addPath: runtime.addPath,
    atJobEnd: runtime.atJobEnd,
    artifactsDir: runtime.artifactsDir,
    cacheDir: runtime.cacheDir,
  });
  if (result.skipped) return { status: 'skipped', outputs: result.outputs };
  return { status: 'success', outputs: result.outputs };
}
