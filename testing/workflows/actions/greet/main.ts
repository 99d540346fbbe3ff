// Writes what @actions/core would: a group, a notice, an output, state for the post step, a summary.
import { appendFileSync } from 'node:fs';

const who = process.env.INPUT_WHO_AM_I ?? '';
const level = Number(process.env['INPUT_EXCITED-LEVEL']);
const greeting = `${process.env.INPUT_SALUTATION} ${who}${'!'.repeat(level)}`;
console.log('::group::Greeting');
console.log(`repository input: ${process.env.INPUT_REPOSITORY}`);
console.log(`action path ends with: ${(process.env.GITHUB_ACTION_PATH ?? '').split('/').slice(-2).join('/')}`);
console.log('::endgroup::');
console.log(`::notice title=Greeted::${greeting}`);
appendFileSync(process.env.GITHUB_OUTPUT ?? '', `greeting=${greeting}\n`);
appendFileSync(process.env.GITHUB_STATE ?? '', `greeted=${who}\n`);
appendFileSync(process.env.GITHUB_STEP_SUMMARY ?? '', `Greeted **${who}**\n`);
