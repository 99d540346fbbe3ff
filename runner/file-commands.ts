/**
 * Per-step command files, as actions/runner creates them: fresh empty files for GITHUB_OUTPUT,
 * GITHUB_ENV, GITHUB_PATH, GITHUB_STEP_SUMMARY and GITHUB_STATE before each step, read after it.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../lib/util/errors.ts';
import { parseEnvFile, parsePathFile } from './commands.ts';

const FILES = {
  GITHUB_OUTPUT: 'set_output_',
  GITHUB_ENV: 'set_env_',
  GITHUB_PATH: 'add_path_',
  GITHUB_STEP_SUMMARY: 'step_summary_',
  GITHUB_STATE: 'save_state_',
} as const;

type FileVariable = keyof typeof FILES;

export interface StepCommandResults {
  outputs: Record<string, string>;
  env: Record<string, string>;
  paths: string[];
  summary: string;
  state: Record<string, string>;
}

/** GitHub refuses step summaries over 1 MiB. */
export const SUMMARY_LIMIT_BYTES = 1024 * 1024;

export class StepCommandFiles {
  readonly env: Record<FileVariable, string>;

  private constructor(env: Record<FileVariable, string>) {
    this.env = env;
  }

  static async create(tempDir: string): Promise<StepCommandFiles> {
    const dir = path.join(tempDir, '_runner_file_commands');
    await mkdir(dir, { recursive: true });
    const suffix = randomUUID();
    const env = Object.fromEntries(
      Object.entries(FILES).map(([variable, prefix]) => [variable, path.join(dir, `${prefix}${suffix}`)]),
    ) as Record<FileVariable, string>;
    await Promise.all(Object.values(env).map((file) => writeFile(file, '')));
    return new StepCommandFiles(env);
  }

  /** Reads what the step wrote; throws naming the file command when a file is malformed. */
  async read(): Promise<StepCommandResults> {
    const text = async (variable: FileVariable) => readFile(this.env[variable], 'utf8').catch(() => '');
    const [output, env, paths, summary, state] = await Promise.all([
      text('GITHUB_OUTPUT'),
      text('GITHUB_ENV'),
      text('GITHUB_PATH'),
      text('GITHUB_STEP_SUMMARY'),
      text('GITHUB_STATE'),
    ]);
    const pairs = (variable: FileVariable, content: string) => {
      try {
        return Object.fromEntries(parseEnvFile(content));
      } catch (error) {
        throw new Error(`Unable to process file command '${variable}' successfully: ${errorMessage(error)}`, {
          cause: error,
        });
      }
    };
    if (Buffer.byteLength(summary) > SUMMARY_LIMIT_BYTES) {
      throw new Error(
        `$GITHUB_STEP_SUMMARY upload aborted, supports content up to a size of ${SUMMARY_LIMIT_BYTES / 1024}k, got ${Math.ceil(Buffer.byteLength(summary) / 1024)}k`,
      );
    }
    return {
      outputs: pairs('GITHUB_OUTPUT', output),
      env: pairs('GITHUB_ENV', env),
      paths: parsePathFile(paths),
      summary,
      state: pairs('GITHUB_STATE', state),
    };
  }
}
