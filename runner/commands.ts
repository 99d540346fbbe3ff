/**
 * The two ways a step talks back to the runner, as actions/runner reads them:
 * - workflow commands on its output, `::name key=value,key=value::data` (what @actions/core prints
 *   for groups, annotations, masks), with GitHub's %-escapes;
 * - file commands: `NAME=value` lines or `NAME<<DELIMITER` heredocs appended to the files named by
 *   GITHUB_OUTPUT, GITHUB_ENV and GITHUB_STATE (GITHUB_PATH is one path a line).
 */

export interface WorkflowCommand {
  name: string;
  properties: Record<string, string>;
  data: string;
}

/** Commands the runner acts on; any other `::x::` line is ordinary output, as on GitHub. */
export const KNOWN_COMMANDS = new Set([
  'add-mask',
  'group',
  'endgroup',
  'error',
  'warning',
  'notice',
  'debug',
  'set-output',
  'save-state',
  'set-env',
  'add-path',
  'add-matcher',
  'remove-matcher',
  'stop-commands',
  'echo',
]);

function unescapeData(text: string): string {
  return text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}

function unescapeProperty(text: string): string {
  return text
    .replace(/%0D/g, '\r')
    .replace(/%0A/g, '\n')
    .replace(/%3A/g, ':')
    .replace(/%2C/g, ',')
    .replace(/%25/g, '%');
}

/**
 * Parses `::name props::data` (leading spaces allowed). `extraCommands` are names registered on the
 * fly: the token given to `::stop-commands::` resumes processing when it appears as a command.
 */
export function parseWorkflowCommand(
  line: string,
  extraCommands: ReadonlySet<string> = new Set(),
): WorkflowCommand | undefined {
  const text = line.trimStart();
  if (!text.startsWith('::')) return undefined;
  const end = text.indexOf('::', 2);
  if (end < 0) return undefined;
  const info = text.slice(2, end);
  const space = info.indexOf(' ');
  const name = space < 0 ? info : info.slice(0, space);
  if (!KNOWN_COMMANDS.has(name) && !extraCommands.has(name)) return undefined;
  const properties: Record<string, string> = {};
  if (space > 0) {
    for (const item of info
      .slice(space + 1)
      .trim()
      .split(',')) {
      const eq = item.indexOf('=');
      if (eq > 0 && eq < item.length - 1) properties[item.slice(0, eq)] = unescapeProperty(item.slice(eq + 1));
    }
  }
  return { name, properties, data: unescapeData(text.slice(end + 2)) };
}

/** Reads a GITHUB_OUTPUT / GITHUB_ENV / GITHUB_STATE file; throws with the runner's messages on a bad line. */
export function parseEnvFile(text: string): [string, string][] {
  const pairs: [string, string][] = [];
  const lines = text.split('\n');
  // A trailing newline ends the last line rather than starting an empty one.
  if (lines.at(-1) === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    const equals = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (equals >= 0 && (heredoc < 0 || equals < heredoc)) {
      const name = line.slice(0, equals);
      if (name === '') throw new Error(`Invalid format '${line}'. Name must not be empty`);
      pairs.push([name, line.slice(equals + 1)]);
    } else if (heredoc >= 0) {
      const name = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      if (name === '' || delimiter === '') {
        throw new Error(`Invalid format '${line}'. Name must not be empty and delimiter must not be empty`);
      }
      const value: string[] = [];
      let closed = false;
      for (i = i + 1; i < lines.length; i++) {
        if (lines[i] === delimiter) {
          closed = true;
          break;
        }
        value.push(lines[i]);
      }
      if (!closed) throw new Error(`Invalid value. Matching delimiter not found '${delimiter}'`);
      pairs.push([name, value.join('\n')]);
    } else {
      throw new Error(`Invalid format '${line}'`);
    }
  }
  return pairs;
}

/** GITHUB_PATH: one folder a line, later lines first on PATH. */
export function parsePathFile(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}
