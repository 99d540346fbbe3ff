/**
 * The service's `GET /v1/model` read from outside — by the demo and the end-to-end tests — and the
 * one wait for "the service serves main at this commit" they share.
 */
import type { ModelManager } from '../../service/model-manager.ts';
import { MODEL_PATH } from '../../service/routes/status.ts';
import { formatMs } from './timeline.ts';

/** What `GET /v1/model` answers (the service's own description, as JSON). */
export type ModelView = ReturnType<ModelManager['describe']>;

/** The address of the service's model description (for links in the demo's timeline too). */
export const modelUrl = (serviceUrl: string): string => `${serviceUrl}${MODEL_PATH}`;

export async function modelView(serviceUrl: string): Promise<ModelView> {
  const url = modelUrl(serviceUrl);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return (await response.json()) as ModelView;
}

/** Whether the service has read main at `sha` and loaded everything its manifest names. */
export function servesRevision(view: ModelView, sha: string): boolean {
  // The manifest is read before a new champion is loaded and swapped in: wait for both.
  return (
    view.manifest?.revision === sha &&
    view.serving !== null &&
    view.serving.version === view.champion?.version &&
    (view.challenger === null || view.challenger.loaded)
  );
}

export interface WaitOptions {
  timeoutMs?: number;
  /** Between two reads of GET /v1/model. */
  intervalMs?: number;
}

/**
 * Polls `GET /v1/model` until `done(view)`; the error names what was awaited (`what`) and the last
 * answer.
 */
export async function waitForModel(
  serviceUrl: string,
  what: string,
  done: (view: ModelView) => boolean,
  { timeoutMs = 60_000, intervalMs = 25 }: WaitOptions = {},
): Promise<ModelView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await modelView(serviceUrl);
    if (done(view)) return view;
    if (Date.now() >= deadline)
      throw new Error(
        `the service at ${serviceUrl} did not ${what} within ${formatMs(timeoutMs)}; it answers ${JSON.stringify({
          serving: view.serving?.version ?? null,
          champion: view.champion?.version ?? null,
          challenger: view.challenger,
          manifest: view.manifest?.revision ?? null,
        })}`,
      );
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Waits until the service has read main at `sha` and loaded what its manifest names. */
export function waitForRevision(serviceUrl: string, sha: string, options?: WaitOptions): Promise<ModelView> {
  return waitForModel(serviceUrl, `load main at ${sha.slice(0, 12)}`, (view) => servesRevision(view, sha), options);
}
