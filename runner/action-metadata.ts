/**
 * A local action's `action.yml`, read with GitHub's action schema (`parseAction` of
 * @actions/workflow-parser): its inputs with their defaults, its outputs, and how it runs.
 */
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import { githubParser } from './github-parser.ts';
import { WorkflowFileError } from './workflow.ts';

export interface ActionMetadata {
  /** Repository-relative path of the action.yml. */
  path: string;
  name: string;
  inputs: { id: string; required: boolean; default?: TemplateToken }[];
  outputs: string[];
  /** Folder-relative entry file (`runs.main`). */
  main: string;
  post?: string;
}

/** Node runtimes the local runner provides: its own Node (24). */
const SUPPORTED_USING = new Set(['node24']);

export async function loadActionMetadata(file: { path: string; content: string }): Promise<ActionMetadata> {
  const parser = await githubParser();
  const parsed = parser.parseAction({ name: file.path, content: file.content });
  const refuseOnErrors = () => {
    const problems = parsed.context.errors.getErrors().map((e) => e.message);
    if (problems.length) throw new WorkflowFileError(file.path, problems);
  };
  refuseOnErrors();
  if (!parsed.value) throw new WorkflowFileError(file.path, [`${file.path}: empty action metadata`]);
  const template = parser.convertActionTemplate(parsed.context, parsed.value);
  refuseOnErrors();
  const runs = template.runs;
  if (!SUPPORTED_USING.has(runs.using) || !('main' in runs)) {
    throw new WorkflowFileError(file.path, [
      `${file.path}: runs.using '${runs.using}' is not supported by the local runner (it runs node24 actions from source)`,
    ]);
  }
  return {
    path: file.path,
    name: template.name,
    inputs: (template.inputs ?? []).map((input) => ({
      id: input.id,
      required: input.required === true,
      default: input.default,
    })),
    outputs: (template.outputs ?? []).map((output) => output.id),
    main: runs.main,
    post: runs.post,
  };
}
