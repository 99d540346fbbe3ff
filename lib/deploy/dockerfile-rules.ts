/**
 * Lints the service's Dockerfile without building it (CI has no container engine): the syntax and
 * instruction checks of `dockerfile-utils` (the linter of the Docker language server), then this
 * project's rules on the parsed file (`dockerfile-ast`). Pure: text in, problems out.
 */
import { type Copy, DockerfileParser, type From, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';

export interface DockerfileProblem {
  /** 1-based line. */
  line: number;
  message: string;
}

export interface DockerfileRules {
  /** The Node.js major the runtime image must have (the `node` devDependency's). */
  nodeMajor: number;
}

const FULL_VERSION = /^\d+\.\d+\.\d+(?:[-.][\w.-]*)?$/;

function lineOf(instruction: Instruction): number {
  return instruction.getRange().start.line + 1;
}

/** The FROM image with build arguments (`ARG NODE_IMAGE=…` before the first FROM) substituted. */
function resolvedImage(from: From, initialArgs: Map<string, string>): string {
  const raw = from.getImage() ?? '';
  return raw.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => initialArgs.get(name) ?? whole);
}

function baseImageProblems(image: string, line: number, stageNames: Set<string>): DockerfileProblem[] {
  if (stageNames.has(image)) return [];
  if (image.includes('$')) return [{ line, message: `FROM ${image}: a build argument without a default` }];
  const at = image.indexOf('@sha256:');
  const withoutDigest = at >= 0 ? image.slice(0, at) : image;
  const colon = withoutDigest.lastIndexOf(':');
  const tag = colon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(colon + 1) : '';
  const problems: DockerfileProblem[] = [];
  if (at < 0 && !FULL_VERSION.test(tag.split('-')[0] ?? '')) {
    problems.push({ line, message: `FROM ${image}: pin the base image by digest or a full version tag (x.y.z)` });
  }
  if (/alpine/i.test(image)) {
    problems.push({
      line,
      message: `FROM ${image}: onnxruntime-node ships glibc binaries; Alpine (musl) cannot load them`,
    });
  }
  return problems;
}

export function lintDockerfile(text: string, rules: DockerfileRules): DockerfileProblem[] {
  const problems: DockerfileProblem[] = validate(text).map((d) => ({
    line: d.range.start.line + 1,
    message: `${d.message} (dockerfile-utils)`,
  }));
  const dockerfile = DockerfileParser.parse(text);
  const initialArgs = new Map<string, string>();
  for (const arg of dockerfile.getInitialARGs()) {
    const property = arg.getProperty();
    const name = property?.getName();
    if (name) initialArgs.set(name, property?.getValue() ?? '');
  }
  const froms = dockerfile.getFROMs();
  if (froms.length < 2) {
    problems.push({
      line: 1,
      message: 'not a multi-stage build: install dependencies in one stage, copy them into a clean one',
    });
  }
  const stageNames = new Set<string>();
  for (const from of froms) {
    problems.push(...baseImageProblems(resolvedImage(from, initialArgs), lineOf(from), stageNames));
    const stage = from.getBuildStage();
    if (stage) stageNames.add(stage);
  }

  const instructions = dockerfile.getInstructions();
  const lastFrom = froms.at(-1);
  const finalStage = lastFrom ? instructions.filter((i) => lineOf(i) > lineOf(lastFrom)) : [];
  const keyword = (i: Instruction) => i.getKeyword().toUpperCase();
  const args = (i: Instruction) => i.getArgumentsContent() ?? '';

  if (lastFrom) {
    const runtimeImage = resolvedImage(lastFrom, initialArgs);
    const major = /^(?:docker\.io\/)?(?:library\/)?node:(\d+)/.exec(runtimeImage)?.[1];
    if (Number(major) !== rules.nodeMajor) {
      problems.push({
        line: lineOf(lastFrom),
        message: `the runtime image ${runtimeImage} is not Node.js ${rules.nodeMajor} (the version package.json pins)`,
      });
    }
  }

  for (const instruction of instructions) {
    const k = keyword(instruction);
    if (k === 'ADD' && /(^|\s)(https?:\/\/|git@|[\w.-]+\.git\b)/.test(args(instruction))) {
      problems.push({
        line: lineOf(instruction),
        message: 'ADD of a URL: download in a RUN step with a checksum, or COPY',
      });
    }
    if (k === 'RUN' && /\bnpm\s+(install|i)\b/.test(args(instruction))) {
      problems.push({
        line: lineOf(instruction),
        message: 'npm install in the image: use npm ci (the lockfile, exactly)',
      });
    }
  }
  if (!instructions.some((i) => keyword(i) === 'RUN' && /\bnpm\s+ci\b[^&;|]*--omit=dev/.test(args(i)))) {
    problems.push({ line: 1, message: 'no `npm ci --omit=dev`: the image must not carry development dependencies' });
  }

  const users = finalStage.filter((i) => keyword(i) === 'USER');
  const user = users.at(-1);
  const uid = user ? args(user).split(':')[0].trim() : '';
  if (!user)
    problems.push({
      line: lastFrom ? lineOf(lastFrom) : 1,
      message: 'the final stage has no USER: it would run as root',
    });
  else if (!/^\d+$/.test(uid) || Number(uid) === 0) {
    problems.push({
      line: lineOf(user),
      message: `USER ${args(user)}: use a numeric non-root uid (Kubernetes can check runAsNonRoot only for a number)`,
    });
  }
  if (!finalStage.some((i) => keyword(i) === 'HEALTHCHECK')) {
    problems.push({
      line: lastFrom ? lineOf(lastFrom) : 1,
      message: 'the final stage has no HEALTHCHECK (GET /healthz)',
    });
  }
  const command = finalStage.filter((i) => keyword(i) === 'CMD' || keyword(i) === 'ENTRYPOINT').at(-1);
  if (!command) problems.push({ line: 1, message: 'the final stage has no CMD or ENTRYPOINT' });
  else if (!args(command).trim().startsWith('[')) {
    problems.push({
      line: lineOf(command),
      message: `${keyword(command)} in shell form: node would not be PID 1 and SIGTERM would not start the drain`,
    });
  }
  return problems.sort((a, b) => a.line - b.line);
}

/** Sources the final stage copies from the build context (not `--from` another stage). */
export function contextCopies(text: string): string[] {
  const dockerfile = DockerfileParser.parse(text);
  const froms = dockerfile.getFROMs();
  const lastFrom = froms.at(-1);
  if (!lastFrom) return [];
  const start = lastFrom.getRange().start.line;
  const sources: string[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getRange().start.line <= start || instruction.getKeyword().toUpperCase() !== 'COPY') continue;
    if ((instruction as Copy).getFromFlag()) continue;
    const paths = instruction.getArguments().map((a) => a.getValue());
    sources.push(...paths.slice(0, -1).map((p) => p.replace(/^\.\//, '').replace(/\/$/, '')));
  }
  return sources;
}
