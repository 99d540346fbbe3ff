/**
 * The body of the emulator's git hooks (see `installHooks`): `update <ref> <old> <new>` asks the
 * emulator whether branch protection allows the ref update and prints GitHub's GH006 messages when
 * it does not; `post-receive` reports the updated refs so the emulator records push events.
 * git-http-backend passes the emulator's variables down to the hooks.
 */
import { readFileSync } from 'node:fs';

const [mode, ...args] = process.argv.slice(2);
const url = process.env.TAXIWAY_EMULATOR_HOOK_URL!;

async function ask(endpoint: string, body: unknown): Promise<{ allowed?: boolean; messages?: string[] }> {
  const response = await fetch(`${url}/${endpoint}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-taxiway-hook-secret': process.env.TAXIWAY_EMULATOR_HOOK_SECRET ?? '',
    },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`emulator hook endpoint answered ${response.status}`);
  return (await response.json()) as { allowed?: boolean; messages?: string[] };
}

const common = {
  pushId: process.env.TAXIWAY_EMULATOR_PUSH_ID,
  // The pushed objects wait in a quarantine directory until every hook has passed.
  objectDirectory: process.env.GIT_OBJECT_DIRECTORY,
  alternateObjectDirectories: process.env.GIT_ALTERNATE_OBJECT_DIRECTORIES,
};

try {
  if (mode === 'update') {
    const [ref, before, after] = args;
    const answer = await ask('update', { ...common, ref, before, after });
    for (const message of answer.messages ?? []) process.stderr.write(`error: ${message}\n`);
    process.exitCode = answer.allowed ? 0 : 1;
  } else if (mode === 'post-receive') {
    const updates = readFileSync(0, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [before, after, ref] = line.split(' ');
        return { before, after, ref };
      });
    await ask('post-receive', { ...common, updates });
  }
} catch (error) {
  process.stderr.write(
    `error: the emulator could not check this push: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exitCode = mode === 'update' ? 1 : 0;
}
