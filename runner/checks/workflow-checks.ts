/**
 * Every workflow check over a repository's `.github/workflows/*.yml` and `actions/*\/action.yml`:
 * actionlint, action-validator, the security rules, and whether the local runner can load and run
 * each file (GitHub's parser and schema, pinned stand-ins). An empty set passes.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../../lib/util/errors.ts';
import { loadActionMetadata } from '../action-metadata.ts';
import { unrunnableSteps } from '../runner.ts';
import { STAND_INS } from '../stand-ins/index.ts';
import { loadWorkflow, WorkflowFileError } from '../workflow.ts';
import type { Finding } from './finding.ts';
import { actionlintFindings, actionValidatorActionFindings, actionValidatorWorkflowFindings } from './linters.ts';
import { checkWorkflowSecurity } from './security-rules.ts';

export interface CheckedFiles {
  workflows: string[];
  actions: string[];
  findings: Finding[];
}

async function yamlFiles(root: string, folder: string): Promise<string[]> {
  const names = await readdir(path.join(root, folder)).catch(() => [] as string[]);
  return names
    .filter((n) => /\.ya?ml$/.test(n))
    .map((n) => `${folder}/${n}`)
    .sort();
}

async function actionFiles(root: string): Promise<string[]> {
  const folders = await readdir(path.join(root, 'actions'), { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  for (const folder of folders.filter((f) => f.isDirectory())) {
    for (const name of ['action.yml', 'action.yaml']) {
      const file = `actions/${folder.name}/${name}`;
      if (
        await readFile(path.join(root, file)).then(
          () => true,
          () => false,
        )
      )
        found.push(file);
    }
  }
  return found.sort();
}

/** Problems loading into the local runner, as findings (its messages carry `file (Line: n, Col: m)`). */
function runnerFindings(file: string, error: unknown): Finding[] {
  const problems = error instanceof WorkflowFileError ? error.problems : [errorMessage(error)];
  return problems.map((problem) => {
    const place = /\(Line: (\d+), Col: (\d+)\): (.*)$/s.exec(problem);
    return place
      ? { file, line: Number(place[1]), column: Number(place[2]), check: 'runner', message: place[3] }
      : { file, check: 'runner', message: problem };
  });
}

export async function checkWorkflowFiles(files: {
  workflows: { path: string; content: string }[];
  actions: { path: string; content: string }[];
}): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const file of files.workflows) {
    findings.push(...(await actionlintFindings(file)));
    findings.push(...actionValidatorWorkflowFindings(file));
    // A file GitHub's parser refuses is reported once, by the runner check below.
    findings.push(...(await checkWorkflowSecurity(file)).filter((f) => f.check !== 'parse'));
    try {
      const workflow = await loadWorkflow(file);
      const problems = unrunnableSteps(workflow, STAND_INS);
      if (problems.length) throw new WorkflowFileError(file.path, problems);
    } catch (error) {
      findings.push(...runnerFindings(file.path, error));
    }
  }
  for (const file of files.actions) {
    findings.push(...actionValidatorActionFindings(file));
    await loadActionMetadata(file).catch((error: unknown) => findings.push(...runnerFindings(file.path, error)));
  }
  return findings;
}

export async function checkRepositoryWorkflows(root: string): Promise<CheckedFiles> {
  const workflows = await yamlFiles(root, '.github/workflows');
  const actions = await actionFiles(root);
  const read = (file: string) => readFile(path.join(root, file), 'utf8').then((content) => ({ path: file, content }));
  const findings = await checkWorkflowFiles({
    workflows: await Promise.all(workflows.map(read)),
    actions: await Promise.all(actions.map(read)),
  });
  return { workflows, actions, findings };
}
