/** Where a run happens: the code commit, and the GitHub Actions run when there is one. */
import { simpleGit } from 'simple-git';

export interface CodeVersion {
  commit: string;
  dirty: boolean;
}

export async function codeVersion(dir: string): Promise<CodeVersion> {
  try {
    const git = simpleGit(dir);
    const commit = (await git.revparse(['HEAD'])).trim();
    // Only tracked changes to code make the commit a lie; generated output folders do not.
    const status = await git.status(['--untracked-files=no']);
    return { commit, dirty: !status.isClean() };
  } catch {
    return { commit: 'unknown', dirty: true };
  }
}

export interface ActionsRun {
  id: string;
  url: string;
  attempt?: string;
  workflow?: string;
  trigger?: string;
}

/** The GitHub Actions run from its standard environment variables, or undefined outside Actions. */
export function actionsRun(env: NodeJS.ProcessEnv = process.env): ActionsRun | undefined {
  const id = env.GITHUB_RUN_ID;
  if (!id || env.GITHUB_ACTIONS !== 'true') return undefined;
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
  const repository = env.GITHUB_REPOSITORY ?? 'unknown/unknown';
  return {
    id,
    url: `${server}/${repository}/actions/runs/${id}`,
    attempt: env.GITHUB_RUN_ATTEMPT,
    workflow: env.GITHUB_WORKFLOW,
    trigger: env.GITHUB_EVENT_NAME,
  };
}
