/**
 * The Kubernetes manifests, the Argo CD Application and the Dockerfile, checked offline: valid and
 * strict against the API schemas, consistent with each other and with the service's configuration
 * (service/config.ts), and a seeded mistake of each kind fails.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { simpleGit } from 'simple-git';
import { parse } from 'yaml';
import { contextCopies, lintDockerfile } from '../lib/deploy/dockerfile-rules.ts';
import { formatProblem, type ManifestFile, parseManifests, validateManifests } from '../lib/deploy/k8s-manifests.ts';
import { loadConfig } from '../service/config.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const K8S = 'deploy/k8s';
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

interface Kustomization {
  resources: string[];
  images: { name: string; newName: string; newTag: string }[];
  namespace: string;
}
const kustomization = parse(read(`${K8S}/kustomization.yaml`)) as Kustomization;
const manifestFiles: ManifestFile[] = [
  ...kustomization.resources.map((name) => `${K8S}/${name}`),
  'deploy/argocd/application.yaml',
].map((file) => ({ file, text: read(file) }));
const { documents } = parseManifests(manifestFiles);
const find = (k: string) => {
  const doc = documents.find((d) => d.object.kind === k);
  if (!doc) throw new Error(`no ${k} in deploy/`);
  return doc.object as any; // eslint-disable-line @typescript-eslint/no-explicit-any -- assertions on parsed YAML
};
const deployment = find('Deployment');
const podSpec = deployment.spec.template.spec;
const container = podSpec.containers[0];
const envOf = (c: { env: { name: string; value: string }[] }) =>
  Object.fromEntries(c.env.map((e) => [e.name, e.value]));

/** The same files with one text replacement, for seeding a mistake. */
function seeded(file: string, from: string, to: string): ManifestFile[] {
  return manifestFiles.map((f) => {
    if (f.file !== file) return f;
    if (!f.text.includes(from)) throw new Error(`${file} has no ${JSON.stringify(from)} to seed a mistake into`);
    return { file, text: f.text.replace(from, to) };
  });
}

describe('Kubernetes and Argo CD manifests', () => {
  it('validate against the Kubernetes and Argo CD schemas, unknown fields included', () => {
    expect(validateManifests(manifestFiles, ROOT).map(formatProblem)).toEqual([]);
    expect(documents.map((d) => `${d.object.apiVersion} ${d.object.kind}`).sort()).toEqual([
      'apps/v1 Deployment',
      'argoproj.io/v1alpha1 Application',
      'autoscaling/v2 HorizontalPodAutoscaler',
      'policy/v1 PodDisruptionBudget',
      'v1 Service',
      'v1 ServiceAccount',
    ]);
  });

  it.each([
    [
      'a misspelt container field',
      `${K8S}/deployment.yaml`,
      'livenessProbe:',
      'livenesProbe:',
      /"livenesProbe".*IContainer/,
    ],
    [
      'a misspelt pod field',
      `${K8S}/deployment.yaml`,
      'terminationGracePeriodSeconds:',
      'terminationGracePeriod:',
      /"terminationGracePeriod"/,
    ],
    [
      'a wrong type',
      `${K8S}/hpa.yaml`,
      'averageUtilization: ',
      'averageUtilization: forty # ',
      /averageUtilization must be integer/,
    ],
    [
      'a missing required field',
      `${K8S}/service.yaml`,
      '      port: 80\n',
      '',
      /\/spec\/ports\/0 must have required property port/,
    ],
    [
      'a removed API version',
      `${K8S}/pdb.yaml`,
      'apiVersion: policy/v1',
      'apiVersion: policy/v1beta1',
      /policy\/v1beta1 PodDisruptionBudget is not a kind/,
    ],
    ['a misspelt Argo CD field', 'deploy/argocd/application.yaml', 'selfHeal: true', 'selfheal: true', /"selfheal"/],
    [
      'an Argo CD field at the wrong level',
      'deploy/argocd/application.yaml',
      '    path: deploy/k8s',
      '    paths: deploy/k8s',
      /"paths"/,
    ],
    ['broken YAML', `${K8S}/service.yaml`, 'selector:', 'selector: [', /deploy\/k8s\/service.yaml/],
  ])('fail with %s', (_what, file, from, to, expected) => {
    const problems = validateManifests(seeded(file, from, to), ROOT).map(formatProblem);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).toMatch(expected);
    expect(problems.every((p) => p.startsWith(file))).toBe(true);
  });

  it('kustomization lists every manifest in deploy/k8s and names the image the Deployment uses', () => {
    const yamlFiles = readdirSync(path.join(ROOT, K8S)).filter(
      (f) => f.endsWith('.yaml') && f !== 'kustomization.yaml',
    );
    expect([...kustomization.resources].sort()).toEqual(yamlFiles.sort());
    expect(kustomization.images.map((i) => i.name)).toEqual([container.image]);
  });

  it('the Application syncs deploy/k8s of the repository the pods follow, into the kustomization namespace', () => {
    const app = find('Application');
    expect(app.spec.source.path).toBe(K8S);
    expect(app.spec.destination.namespace).toBe(kustomization.namespace);
    const repo = (url: string) => url.replace(/^git@([^:]+):/, 'https://$1/').replace(/\.git$/, '');
    expect(repo(envOf(container).MODEL_REPO_URL)).toBe(repo(app.spec.source.repoURL));
    expect(envOf(container).MODEL_REPO_BRANCH).toBe(app.spec.source.targetRevision);
  });
});

describe('the Deployment and the service configuration', () => {
  const env = envOf(container);
  const config = loadConfig(env, '/app');

  it('is a configuration the service accepts: remote git source, listening on the container port', () => {
    expect(config.host).toBe('0.0.0.0');
    const port = container.ports.find((p: { name: string }) => p.name === 'http');
    expect(config.port).toBe(port.containerPort);
    expect(config.source).toMatchObject({ kind: 'remote', branch: 'main' });
  });

  it('gives the drain its time: grace period ≥ drain delay + drain timeout + 5 s to release and exit', () => {
    expect(config.drainDelayMs).toBeGreaterThan(0);
    expect(podSpec.terminationGracePeriodSeconds * 1000).toBeGreaterThanOrEqual(
      config.drainDelayMs + config.drainTimeoutMs + 5000,
    );
  });

  it('has no variable simple-git refuses to run git with (EDITOR, PAGER, GIT_SSH_COMMAND, …)', async () => {
    await expect(
      simpleGit()
        .env({ PATH: process.env.PATH, ...env })
        .raw(['--version']),
    ).resolves.toMatch(/^git version/);
    await expect(
      simpleGit()
        .env({ ...env, GIT_SSH_COMMAND: 'ssh' })
        .raw(['--version']),
    ).rejects.toThrow(/GIT_SSH_COMMAND/);
  });

  it('probes liveness on /healthz and readiness on /readyz, on the service port', () => {
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
  });

  it('runs non-root on a read-only root filesystem, writing only to emptyDir volumes', () => {
    expect(config.predictionStorePath).not.toBe(':memory:');
    expect(podSpec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    const volumes = new Map(podSpec.volumes.map((v: { name: string }) => [v.name, v]));
    const mountOf = (dir: string) =>
      container.volumeMounts.find(
        (m: { mountPath: string }) => dir === m.mountPath || dir.startsWith(`${m.mountPath}/`),
      );
    const source = config.source as { cacheDir: string };
    // The clone of the model repository, the prediction log (SQLite and its WAL) and git's temporary files.
    for (const dir of [source.cacheDir, path.dirname(config.predictionStorePath), '/tmp']) {
      const mount = mountOf(dir);
      expect(mount, `${dir} is on no volume`).toBeDefined();
      expect(volumes.get(mount.name)).toHaveProperty('emptyDir');
    }
    const key = volumes.get('deploy-key') as { secret: { defaultMode: number; items: { path: string }[] } };
    expect(key.secret.defaultMode).toBe(0o440);
    // ssh's defaults for uid 1000 (`node`, home /home/node in the image): ~/.ssh/id_ed25519 and known_hosts.
    expect(mountOf('/home/node/.ssh/id_ed25519').name).toBe('deploy-key');
    expect(key.secret.items.map((i) => i.path).sort()).toEqual(['id_ed25519', 'known_hosts']);
  });

  it('reserves memory (limit = request) and a core, without a CPU limit', () => {
    const { requests, limits } = container.resources;
    expect(limits.memory).toBe(requests.memory);
    expect(limits.cpu).toBeUndefined();
    expect(requests.cpu).toBeDefined();
  });

  it('leaves replicas to the HorizontalPodAutoscaler, which the PodDisruptionBudget lets drain one at a time', () => {
    expect(deployment.spec.replicas).toBeUndefined();
    const hpa = find('HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.metadata.name,
    });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    const pdb = find('PodDisruptionBudget');
    expect(pdb.spec.maxUnavailable).toBe(1);
    const labels = deployment.spec.template.metadata.labels;
    for (const selector of [pdb.spec.selector.matchLabels, find('Service').spec.selector]) {
      for (const [k, v] of Object.entries(selector)) expect(labels[k]).toBe(v);
    }
  });
});

/** The service's code as the TypeScript compiler resolves it from its entry points (server and worker). */
function serviceProgram(): ts.Program {
  const entries = ['service/server.ts', 'service/inference-worker.ts'].map((f) => path.join(ROOT, f));
  return ts.createProgram(entries, {
    allowImportingTsExtensions: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
  });
}

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const nodeMajor = Number(/\d+/.exec(JSON.parse(read('package.json')).devDependencies.node)![0]);

  it('passes dockerfile-utils and the image rules', () => {
    expect(lintDockerfile(dockerfile, { nodeMajor })).toEqual([]);
  });

  it.each([
    [
      'an unpinned base image',
      'ARG NODE_IMAGE=node:24.21.0-bookworm-slim',
      'ARG NODE_IMAGE=node:24-bookworm-slim',
      /pin the base image/,
    ],
    [
      'an Alpine base image',
      'ARG NODE_IMAGE=node:24.21.0-bookworm-slim',
      'ARG NODE_IMAGE=node:24.21.0-alpine',
      /Alpine/,
    ],
    [
      'another Node.js major',
      'ARG NODE_IMAGE=node:24.21.0-bookworm-slim',
      'ARG NODE_IMAGE=node:22.20.0-bookworm-slim',
      /not Node.js 24/,
    ],
    ['root', 'USER 1000:1000', 'USER root', /numeric non-root uid/],
    ['no USER', 'USER 1000:1000\n', '', /no USER/],
    [
      'ADD of a URL',
      'COPY package.json ./\n',
      'COPY package.json ./\nADD https://example.com/model.onnx /app/\n',
      /ADD of a URL/,
    ],
    ['npm install', 'npm ci --omit=dev', 'npm install', /npm install in the image/],
    ['dev dependencies', 'npm ci --omit=dev', 'npm ci', /npm ci --omit=dev/],
    ['no HEALTHCHECK', 'HEALTHCHECK', '# HEALTHCHECK', /no HEALTHCHECK/],
    ['a shell-form CMD', 'CMD ["node", "service/server.ts"]', 'CMD node service/server.ts', /shell form/],
    ['a single stage', 'FROM ${NODE_IMAGE} AS runtime', '', /multi-stage/],
    ['an unknown instruction', 'EXPOSE 8080', 'EXPOSES 8080', /dockerfile-utils/],
  ])('fails with %s', (_what, from, to, expected) => {
    expect(dockerfile).toContain(from);
    const problems = lintDockerfile(dockerfile.replace(from, to), { nodeMajor });
    expect(problems.map((p) => p.message).join('\n')).toMatch(expected);
  });

  it('copies every file the service imports, and .dockerignore lets those sources in', () => {
    const copies = contextCopies(dockerfile);
    const allowed = read('.dockerignore')
      .split('\n')
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1).replace(/\/$/, ''));
    for (const source of copies) expect(allowed, `.dockerignore keeps ${source} out`).toContain(source);
    const program = serviceProgram();
    const ownFiles = program
      .getSourceFiles()
      .map((f) => path.relative(ROOT, f.fileName))
      .filter((f) => !f.startsWith('node_modules') && !f.startsWith('..'));
    expect(ownFiles.length).toBeGreaterThan(10);
    for (const file of ownFiles)
      expect(
        copies.some((c) => file === c || file.startsWith(`${c}/`)),
        file,
      ).toBe(true);
  });

  it('needs only production dependencies at run time (npm ci --omit=dev)', () => {
    const pkg = JSON.parse(read('package.json'));
    const runtime = new Set(Object.keys(pkg.dependencies));
    const program = serviceProgram();
    const imported = new Set<string>();
    for (const file of program.getSourceFiles()) {
      if (path.relative(ROOT, file.fileName).startsWith('node_modules')) continue;
      for (const statement of file.statements) {
        if (!ts.isImportDeclaration(statement) || statement.importClause?.isTypeOnly) continue;
        const specifier = (statement.moduleSpecifier as ts.StringLiteral).text;
        if (specifier.startsWith('.') || specifier.startsWith('node:')) continue;
        const parts = specifier.split('/');
        imported.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
      }
    }
    expect(imported.size).toBeGreaterThan(0);
    for (const name of imported)
      expect(runtime.has(name), `${name} is imported by the service but not a dependency`).toBe(true);
  });
});
