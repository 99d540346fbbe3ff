/**
 * Reads a step's output line by line as actions/runner does: workflow commands are acted on
 * (masks, groups, annotations, deprecated set-output/save-state, stop-commands), everything else
 * goes to the log.
 */
import { parseWorkflowCommand, type WorkflowCommand } from './commands.ts';
import type { JobLog } from './job-log.ts';
import type { SecretMasker } from './masker.ts';
import type { Annotation } from './ports.ts';

export class StepOutputReader {
  /** Values from the deprecated `::set-output` / `::save-state` commands. */
  readonly outputs: Record<string, string> = {};
  readonly state: Record<string, string> = {};
  /** Commands GitHub refuses (set-env, add-path); the step fails when there is any. */
  readonly refused: string[] = [];
  private stopToken: string | undefined;
  private readonly log: JobLog;
  private readonly masker: SecretMasker;
  private readonly annotations: Annotation[];
  private readonly debug: boolean;

  constructor(options: { log: JobLog; masker: SecretMasker; annotations: Annotation[]; debug: boolean }) {
    this.log = options.log;
    this.masker = options.masker;
    this.annotations = options.annotations;
    this.debug = options.debug;
  }

  readonly onLine = (line: string): void => {
    if (this.stopToken !== undefined) {
      const resume = parseWorkflowCommand(line, new Set([this.stopToken]));
      if (resume?.name === this.stopToken) this.stopToken = undefined;
      else this.log.write(line);
      return;
    }
    const command = parseWorkflowCommand(line);
    if (!command) this.log.write(line);
    else this.act(command, line);
  };

  private act(command: WorkflowCommand, line: string): void {
    const { name, properties, data } = command;
    switch (name) {
      case 'add-mask':
        if (data.trim() === '')
          this.log.marker('warning', "Can't add secret mask for empty string in ##[add-mask] command.");
        this.masker.add(data);
        return;
      case 'group':
        this.log.group(data);
        return;
      case 'endgroup':
        this.log.endGroup();
        return;
      case 'error':
      case 'warning':
      case 'notice': {
        const line = properties.line ? Number(properties.line) : undefined;
        const annotation: Annotation = { level: name, message: this.masker.mask(data) };
        if (properties.title) annotation.title = properties.title;
        if (properties.file) annotation.file = properties.file;
        if (line !== undefined && Number.isFinite(line)) annotation.line = line;
        this.annotations.push(annotation);
        const where = properties.file ? `${properties.file}${properties.line ? `:${properties.line}` : ''}: ` : '';
        this.log.marker(name, `${where}${properties.title ? `${properties.title}: ` : ''}${data}`);
        return;
      }
      case 'debug':
        if (this.debug) this.log.marker('debug', data);
        return;
      case 'set-output':
        if (properties.name) this.outputs[properties.name] = data;
        this.log.marker(
          'warning',
          'The `set-output` command is deprecated. Use Environment Files (GITHUB_OUTPUT) instead.',
        );
        return;
      case 'save-state':
        if (properties.name) this.state[properties.name] = data;
        return;
      case 'set-env':
      case 'add-path': {
        const message = `Unable to process command '${line.trim()}' successfully. The \`${name}\` command is disabled. Use Environment Files (GITHUB_ENV / GITHUB_PATH) instead.`;
        this.refused.push(message);
        this.log.marker('error', message);
        return;
      }
      case 'stop-commands':
        this.stopToken = data;
        if (data.length > 6) this.masker.add(data);
        return;
      default:
        // echo, add-matcher, remove-matcher: accepted and ignored (no problem matchers locally).
        return;
    }
  }
}
