/**
 * Offline validation of the Kubernetes and Argo CD manifests in deploy/, as strict as
 * `kubectl apply --validate=strict`:
 *   - values against the API's OpenAPI schema: `kubernetes-models` and `@kubernetes-models/argo-cd`
 *     (types, required fields, enums, formats);
 *   - unknown fields: those schemas allow extra properties (the API server prunes them), so a
 *     misspelt `livenesProbe` would pass them. The same packages' TypeScript types are closed, so
 *     every document is type-checked as an object literal of its kind's interface, and the
 *     compiler's excess-property check names the field and the type that has no such field.
 * Only the kinds listed in KINDS are accepted, at those API versions (no deprecated ones).
 */
import path from 'node:path';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { Application } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { errorMessage } from '../util/errors.ts';

interface KindModel {
  /** Validates against the OpenAPI schema; throws with the failing paths. */
  validate(object: object): void;
  /** Module and interface of the kind's TypeScript type. */
  typeModule: string;
  typeName: string;
}

function kind(Model: new (data: never) => { validate(): void }, typeModule: string, typeName: string): KindModel {
  return { validate: (object) => new Model(object as never).validate(), typeModule, typeName };
}

/** `apiVersion kind` → model. */
export const KINDS: ReadonlyMap<string, KindModel> = new Map([
  ['apps/v1 Deployment', kind(Deployment, 'kubernetes-models/apps/v1/Deployment', 'IDeployment')],
  ['v1 Service', kind(Service, 'kubernetes-models/v1/Service', 'IService')],
  ['v1 ServiceAccount', kind(ServiceAccount, 'kubernetes-models/v1/ServiceAccount', 'IServiceAccount')],
  ['v1 ConfigMap', kind(ConfigMap, 'kubernetes-models/v1/ConfigMap', 'IConfigMap')],
  [
    'autoscaling/v2 HorizontalPodAutoscaler',
    kind(
      HorizontalPodAutoscaler,
      'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler',
      'IHorizontalPodAutoscaler',
    ),
  ],
  [
    'policy/v1 PodDisruptionBudget',
    kind(PodDisruptionBudget, 'kubernetes-models/policy/v1/PodDisruptionBudget', 'IPodDisruptionBudget'),
  ],
  [
    'argoproj.io/v1alpha1 Application',
    kind(Application, '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application', 'IApplication'),
  ],
]);

export interface ManifestFile {
  /** For messages, e.g. `deploy/k8s/deployment.yaml`. */
  file: string;
  text: string;
}

export interface ManifestDocument {
  file: string;
  /** 0-based index of the document in its file. */
  index: number;
  object: Record<string, unknown>;
}

export interface ManifestProblem {
  file: string;
  /** `Kind/name`, or `document N` when the document has neither. */
  resource: string;
  message: string;
}

function resourceOf(doc: ManifestDocument): string {
  const metadata = doc.object.metadata as { name?: unknown } | undefined;
  const name = typeof metadata?.name === 'string' ? metadata.name : null;
  const k = typeof doc.object.kind === 'string' ? doc.object.kind : null;
  return k && name ? `${k}/${name}` : `document ${doc.index + 1}`;
}

/** YAML documents (several per file allowed); a syntax error is a problem, not an exception. */
export function parseManifests(files: ManifestFile[]): { documents: ManifestDocument[]; problems: ManifestProblem[] } {
  const documents: ManifestDocument[] = [];
  const problems: ManifestProblem[] = [];
  for (const { file, text } of files) {
    parseAllDocuments(text).forEach((document, index) => {
      if ('errors' in document && document.errors.length > 0) {
        for (const error of document.errors)
          problems.push({ file, resource: `document ${index + 1}`, message: error.message });
        return;
      }
      const object: unknown = document.toJS();
      if (object === null || object === undefined) return;
      if (typeof object !== 'object' || Array.isArray(object)) {
        problems.push({ file, resource: `document ${index + 1}`, message: 'is not a mapping' });
        return;
      }
      documents.push({ file, index, object: object as Record<string, unknown> });
    });
  }
  return { documents, problems };
}

function kindKey(doc: ManifestDocument): string {
  return `${String(doc.object.apiVersion)} ${String(doc.object.kind)}`;
}

/** Kind known at this API version, and the values valid against its OpenAPI schema. */
export function schemaProblems(documents: ManifestDocument[]): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  for (const doc of documents) {
    const model = KINDS.get(kindKey(doc));
    const problem = (message: string) => problems.push({ file: doc.file, resource: resourceOf(doc), message });
    if (!model) {
      problem(`${kindKey(doc)} is not a kind this repository validates (${[...KINDS.keys()].join(', ')})`);
      continue;
    }
    try {
      model.validate(doc.object);
    } catch (error) {
      const details = (error as { errors?: { instancePath: string; message?: string }[] }).errors;
      if (details?.length) for (const d of details) problem(`${d.instancePath || '/'} ${d.message ?? 'is invalid'}`);
      else problem(errorMessage(error));
    }
  }
  return problems;
}

/**
 * Fields no kind's type declares, found by type-checking each document as an object literal of its
 * interface. `root` is where `node_modules` is resolved from.
 */
export function unknownFieldProblems(documents: ManifestDocument[], root: string): ManifestProblem[] {
  const known = documents.filter((doc) => KINDS.has(kindKey(doc)));
  if (known.length === 0) return [];
  const imports = new Map<string, string>();
  const declarations: { doc: ManifestDocument; start: number }[] = [];
  let body = '';
  for (const [i, doc] of known.entries()) {
    const model = KINDS.get(kindKey(doc))!;
    const alias = `T${imports.size}`;
    if (!imports.has(model.typeModule)) imports.set(model.typeModule, alias);
    declarations.push({ doc, start: body.length });
    body += `export const doc${i}: ${imports.get(model.typeModule)} = ${JSON.stringify(doc.object, null, 1)};\n`;
  }
  const header = [...imports]
    .map(([module, alias]) => {
      const typeName = [...KINDS.values()].find((m) => m.typeModule === module)!.typeName;
      return `import type { ${typeName} as ${alias} } from '${module}';\n`;
    })
    .join('');
  const text = header + body;
  const virtual = path.join(root, '__deploy_manifests__.ts');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (file, language, ...rest) =>
    path.resolve(file) === virtual ? ts.createSourceFile(file, text, language) : getSourceFile(file, language, ...rest);
  host.fileExists = (file) => path.resolve(file) === virtual || fileExists(file);
  const program = ts.createProgram([virtual], options, host);
  const source = program.getSourceFile(virtual)!;
  const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
  const problems: ManifestProblem[] = [];
  for (const diagnostic of diagnostics) {
    const offset = (diagnostic.start ?? 0) - header.length;
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
    if (offset < 0) {
      // An import that does not resolve: the models package is missing or moved its types.
      throw new Error(`cannot type-check manifests: ${message}`);
    }
    const owner = declarations.findLast((d) => d.start <= offset)!;
    problems.push({ file: owner.doc.file, resource: resourceOf(owner.doc), message });
  }
  return problems;
}

/** Everything above, for files already read. */
export function validateManifests(files: ManifestFile[], root: string): ManifestProblem[] {
  const { documents, problems } = parseManifests(files);
  return [...problems, ...schemaProblems(documents), ...unknownFieldProblems(documents, root)];
}

export function formatProblem(problem: ManifestProblem): string {
  return `${problem.file} (${problem.resource}): ${problem.message}`;
}
