/**
 * A deploy of the manifest at one commit of the default branch: a GitHub Deployment is recorded,
 * the champion is verified (lib/gitops/verify-version.ts), and the service is told to re-read git
 * through its reload hook; the Deployment's statuses say how it went. The service also polls git, so
 * the hook only makes it faster (GitOps pull: the repository stays the source of truth).
 */
import type { DeploymentState, Forge, ForgeDeployment } from '../forge/forge.ts';
import { errorMessage } from '../util/errors.ts';
import { nodeRepoFiles } from '../util/repo-files.ts';
import type { ActionsRun } from '../util/run-context.ts';
import { type VerifiedVersion, verifyChampion } from './verify-version.ts';

/** The service's deploy hook (service/routes/admin.ts). */
export const RELOAD_PATH = '/admin/reload';

export interface ServiceHook {
  /** The service's base URL (`https://flight-delay.example.com`). */
  url: string;
  /** Its ADMIN_TOKEN. */
  token: string;
}

export interface ReloadOutcome {
  status: number;
  result: string;
  servingVersion: string | null;
  servingSha256: string | null;
  ms: number;
}

/** POST /admin/reload and read what the service serves afterwards. */
export async function callReloadHook(
  hook: ServiceHook,
  fetchImpl: typeof fetch = fetch,
  timeoutMs = 30_000,
): Promise<ReloadOutcome> {
  const started = performance.now();
  const url = new URL(RELOAD_PATH, hook.url.endsWith('/') ? hook.url : `${hook.url}/`);
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${hook.token}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new Error(`the reload hook ${url.origin}${RELOAD_PATH} did not answer: ${errorMessage(error)}`);
  }
  const text = await response.text();
  let body: { result?: string; message?: string; serving?: { version?: string; sha256?: string } | null } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = {};
  }
  if (!response.ok) {
    throw new Error(`the reload hook ${url.origin}${RELOAD_PATH} answered ${response.status}: ${text.slice(0, 500)}`);
  }
  return {
    status: response.status,
    result: body.result ?? 'unknown',
    servingVersion: body.serving?.version ?? null,
    servingSha256: body.serving?.sha256 ?? null,
    ms: Math.round(performance.now() - started),
  };
}

export interface DeployOptions {
  /** Checkout of the commit being deployed. */
  repoDir: string;
  forge: Forge;
  /** The commit (on the default branch) being deployed. */
  sha: string;
  environment: string;
  /** When configured, the service is reloaded and must then serve the champion. */
  service?: ServiceHook | null;
  run?: ActionsRun;
  fetch?: typeof fetch;
  log?: (line: string) => void;
}

export interface DeployResult {
  deployment: ForgeDeployment;
  state: DeploymentState;
  champion: VerifiedVersion | null;
  reload: ReloadOutcome | null;
  /** Why the deploy failed; null on success. */
  error: string | null;
}

export async function deploy(options: DeployOptions): Promise<DeployResult> {
  const log = options.log ?? (() => {});
  const { forge } = options;
  const deployment = await forge.createDeployment({
    ref: options.sha,
    environment: options.environment,
    description: 'champion of manifests/production.json',
    // Branch protection already required model-gate on what reached the default branch.
    requiredContexts: [],
    autoMerge: false,
    productionEnvironment: options.environment === 'production',
  });
  log(`deployment ${deployment.id} of ${options.sha.slice(0, 12)} to ${options.environment}`);
  const status = (state: DeploymentState, description: string, environmentUrl?: string) =>
    forge.createDeploymentStatus(deployment.id, {
      state,
      description: description.slice(0, 140),
      logUrl: options.run?.url,
      environmentUrl,
    });
  await status('in_progress', 'verifying the champion');
  let champion: VerifiedVersion | null = null;
  let reload: ReloadOutcome | null = null;
  try {
    ({ champion } = await verifyChampion(nodeRepoFiles(options.repoDir)));
    log(
      `verified ${champion.version}: sha256 ${champion.sha256}, ONNX Runtime loads it, ${champion.goldenExamples} golden outputs (max |Δ| ${champion.goldenMaxDifference.toExponential(2)})`,
    );
    if (options.service) {
      reload = await callReloadHook(options.service, options.fetch);
      log(
        `reload hook: ${reload.result} in ${reload.ms} ms; serving ${reload.servingVersion ?? 'nothing'}${reload.servingSha256 ? ` (${reload.servingSha256.slice(0, 12)})` : ''}`,
      );
      if (reload.servingVersion !== champion.version || reload.servingSha256 !== champion.sha256) {
        throw new Error(
          `after the reload the service serves ${reload.servingVersion ?? 'nothing'}, not the champion ${champion.version}`,
        );
      }
    } else {
      log('no service hook configured: the service picks the change up on its next poll of git');
    }
    await status(
      'success',
      options.service ? `serving ${champion.version}` : `${champion.version} verified; the service follows git`,
      options.service?.url,
    );
    return { deployment, state: 'success', champion, reload, error: null };
  } catch (error) {
    const message = errorMessage(error);
    await status('failure', message, options.service?.url);
    return { deployment, state: 'failure', champion, reload, error: message };
  }
}
