/**
 * Git operations of the release flow on a checkout: the commit identity automation uses, and pushes
 * with an explicit token. Workflows check out with `persist-credentials: false`, so no token is left
 * in `.git/config`; the step that pushes passes its (App) token here, and git sends it as
 * actions/checkout does: an `http.extraheader` scoped to the remote's origin, for one command.
 */
import { simpleGit, type SimpleGit } from 'simple-git';
import { errorMessage } from '../util/errors.ts';

export interface CommitIdentity {
  name: string;
  email: string;
}

/** GitHub's committer for App-made commits looks like this; workflows pass the App's own name. */
export const DEFAULT_IDENTITY: CommitIdentity = {
  name: 'taxiway-bot',
  email: 'taxiway-bot@users.noreply.github.com',
};

export function basicAuthorization(token: string): string {
  return `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
}

/** The clone URL with a token as GitHub's Basic credentials (`https://x-access-token:TOKEN@…`). */
export function urlWithToken(cloneUrl: string, token: string): string {
  const url = new URL(cloneUrl);
  url.username = 'x-access-token';
  url.password = token;
  return url.toString();
}

/** Sets the checkout's commit identity (a fresh runner has none; GitHub's has none either). */
export async function setCommitIdentity(repoDir: string, identity: CommitIdentity): Promise<void> {
  const git = simpleGit(repoDir);
  await git.addConfig('user.name', identity.name, false, 'local');
  await git.addConfig('user.email', identity.email, false, 'local');
}

/** A git client whose HTTP requests to `origin`'s server carry `token`. */
export async function gitWithToken(repoDir: string, token: string): Promise<SimpleGit> {
  const remote = (await simpleGit(repoDir).remote(['get-url', 'origin']))?.trim();
  if (!remote) throw new Error(`${repoDir} has no remote "origin" to push to`);
  if (!/^https?:\/\//.test(remote)) return simpleGit(repoDir);
  const origin = new URL(remote).origin;
  return simpleGit({ baseDir: repoDir, config: [`http.${origin}/.extraheader=${basicAuthorization(token)}`] });
}

/** Pushes refspecs to origin with `token`; `force` for branches automation owns (promote/<version>). */
export async function pushRefs(
  repoDir: string,
  token: string,
  refspecs: string[],
  options: { force?: boolean } = {},
): Promise<void> {
  const git = await gitWithToken(repoDir, token);
  try {
    await git.raw(['push', '--quiet', ...(options.force ? ['--force'] : []), 'origin', ...refspecs]);
  } catch (error) {
    // git's own lines (GitHub's "GH006: Protected branch update failed", "Permission denied") are
    // the explanation; keep them, without the token (it never appears: it is in a header).
    throw new Error(`git push ${refspecs.join(' ')} was refused:\n${errorMessage(error).trim()}`);
  }
}
