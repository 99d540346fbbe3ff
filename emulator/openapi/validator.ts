/**
 * Validates requests and responses against the committed subset of GitHub's OpenAPI description,
 * with ajv. The whole subset is added to one ajv instance once, so shared components (`simple-user`,
 * `repository`, …) compile once per process instead of once per operation: compiling every response
 * schema took 1.6 s this way against 9.0 s through openapi-backend, which dereferences each
 * operation separately (measured on this machine, 2 cores, same subset).
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import formatsPlugin from 'ajv-formats';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: JsonObject;
}

export interface OperationInfo {
  key: string;
  method: string;
  path: string;
  operationId: string;
  documentationUrl: string;
  parameters: Parameter[];
  hasBody: boolean;
  responses: Set<number>;
}

export interface RequestProblem {
  /** 404 for a path parameter of the wrong shape (GitHub's router does not match it), 422 otherwise. */
  status: 404 | 422;
  message: string;
}

const addFormats = formatsPlugin as unknown as (ajv: Ajv) => Ajv;

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * Two adjustments so ajv reads GitHub's description as GitHub means it:
 * - `nullable` next to a `oneOf` without a `type` (OpenAPI allows it, ajv refuses it) becomes a
 *   `null` branch;
 * - `oneOf` becomes `anyOf`: GitHub lists alternatives that overlap (a 422 body
 *   `{ message, documentation_url }` is both a `validation-error` and a
 *   `repository-rule-violation-error`), which strict `oneOf` would reject for every real answer.
 */
function normalize(value: Json): Json {
  if (Array.isArray(value)) return value.map(normalize);
  if (value === null || typeof value !== 'object') return value;
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(value)) out[key === 'oneOf' ? 'anyOf' : key] = normalize(child);
  if (out.nullable === true && !('type' in out) && Array.isArray(out.anyOf)) {
    delete out.nullable;
    out.anyOf = [...out.anyOf, { type: 'null' }];
  }
  return out;
}

function loadJson(url: URL): JsonObject {
  return JSON.parse(readFileSync(url, 'utf8')) as JsonObject;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nil';
  if (value === null) return 'nil';
  return JSON.stringify(value);
}

/** ajv's first error in the words GitHub uses ("Invalid request.\n\nFor 'properties/state', …"). */
function githubMessage(error: ErrorObject, data: unknown, where: string): string {
  const segments = error.instancePath.split('/').filter(Boolean);
  let value: unknown = data;
  for (const segment of segments) value = (value as Record<string, unknown> | undefined)?.[segment];
  const field = segments.length > 0 ? `properties/${segments.join('/')}` : where;
  switch (error.keyword) {
    case 'required':
      return `"${(error.params as { missingProperty: string }).missingProperty}" wasn't supplied.`;
    case 'type': {
      const type = String((error.params as { type: string }).type).split(',')[0]!;
      const article = /^[aeiou]/.test(type) ? 'an' : 'a';
      return `For '${field}', ${describeValue(value)} is not ${article} ${type}.`;
    }
    case 'enum':
      return `For '${field}', ${describeValue(value)} is not one of ${JSON.stringify((error.params as { allowedValues: unknown[] }).allowedValues)}.`;
    case 'additionalProperties':
      return `"${(error.params as { additionalProperty: string }).additionalProperty}" is not a permitted key.`;
    default:
      return `For '${field}', ${describeValue(value)} ${error.message ?? 'is invalid'}.`;
  }
}

export class ApiDescription {
  readonly operations = new Map<string, OperationInfo>();
  private readonly spec: JsonObject;
  private readonly ajv: Ajv;
  private readonly coercingAjv: Ajv;
  private readonly webhookAjv: Ajv;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(
    spec: JsonObject = loadJson(new URL('./api.github.com.json', import.meta.url)),
    webhooks: JsonObject = loadJson(new URL('./webhooks.json', import.meta.url)),
  ) {
    this.spec = normalize(spec) as JsonObject;
    const options = { strict: false, inlineRefs: false, validateSchema: false, allErrors: false } as const;
    this.ajv = addFormats(new Ajv(options));
    // No `useDefaults`: GitHub's defaults such as `environment: none` mean "no filter", not a value.
    this.coercingAjv = addFormats(new Ajv({ ...options, coerceTypes: true }));
    this.webhookAjv = addFormats(new Ajv(options));
    for (const ajv of [this.ajv, this.coercingAjv]) {
      ajv.addFormat('repo.nwo', true);
      ajv.addSchema(this.spec, 'github');
    }
    this.webhookAjv.addSchema(normalize(webhooks) as JsonObject, 'webhooks');
    for (const [route, item] of Object.entries(this.spec.paths as Record<string, JsonObject>)) {
      for (const [method, op] of Object.entries(item)) {
        if (method === 'parameters') continue;
        const operation = op as JsonObject;
        const parameters = [...((item.parameters as Json[]) ?? []), ...((operation.parameters as Json[]) ?? [])].map(
          (p) => this.resolve(p) as unknown as Parameter,
        );
        const key = `${method.toUpperCase()} ${route}`;
        this.operations.set(key, {
          key,
          method: method.toUpperCase(),
          path: route,
          operationId: String(operation.operationId),
          documentationUrl: String(
            (operation.externalDocs as JsonObject | undefined)?.url ?? 'https://docs.github.com/rest',
          ),
          parameters,
          hasBody: Boolean((operation.requestBody as JsonObject | undefined)?.content),
          responses: new Set(Object.keys(operation.responses as JsonObject).map(Number)),
        });
      }
    }
  }

  private resolve(value: Json): Json {
    let node = value;
    for (
      let depth = 0;
      depth < 10 && node && typeof node === 'object' && !Array.isArray(node) && typeof node.$ref === 'string';
      depth++
    ) {
      let target: Json = this.spec;
      for (const part of node.$ref.slice(2).split('/'))
        target = (target as JsonObject)[part.replace(/~1/g, '/').replace(/~0/g, '~')]!;
      node = target;
    }
    return node;
  }

  operation(key: string): OperationInfo {
    const found = this.operations.get(key);
    if (!found) throw new Error(`${key} is not in the OpenAPI subset (emulator/openapi/operations.ts)`);
    return found;
  }

  private compiled(cacheKey: string, ajv: Ajv, schema: () => JsonObject): ValidateFunction {
    let validate = this.cache.get(cacheKey);
    if (!validate) {
      validate = ajv.compile(schema());
      this.cache.set(cacheKey, validate);
    }
    return validate;
  }

  private pointer(op: OperationInfo, ...rest: string[]): string {
    return `github#/paths/${escapePointer(op.path)}/${op.method.toLowerCase()}/${rest.map(escapePointer).join('/')}`;
  }

  /**
   * Checks and coerces path and query parameters (in place) and the JSON body. Returns the first
   * problem in GitHub's words, or undefined.
   */
  validateRequest(
    key: string,
    request: { path: Record<string, string>; query: Record<string, unknown>; body: unknown },
  ): RequestProblem | undefined {
    const op = this.operation(key);
    for (const where of ['path', 'query'] as const) {
      const params = op.parameters.filter((p) => p.in === where);
      const validate = this.compiled(`${key} ${where}`, this.coercingAjv, () => ({
        type: 'object',
        properties: Object.fromEntries(params.map((p) => [p.name, this.rebase(p.schema ?? {})])),
        required: params.filter((p) => p.required).map((p) => p.name),
      }));
      const data = request[where];
      if (!validate(data)) {
        if (where === 'path') return { status: 404, message: 'Not Found' };
        return { status: 422, message: `Invalid request.\n\n${githubMessage(validate.errors![0]!, data, 'query')}` };
      }
    }
    if (op.hasBody) {
      const validate = this.compiled(`${key} body`, this.ajv, () => ({
        $ref: this.pointer(op, 'requestBody', 'content', 'application/json', 'schema'),
      }));
      if (!validate(request.body)) {
        return {
          status: 422,
          message: `Invalid request.\n\n${githubMessage(validate.errors![0]!, request.body, 'body')}`,
        };
      }
    }
    return undefined;
  }

  /** Problems of a JSON response against the operation's declared response (empty when it conforms). */
  validateResponse(key: string, status: number, body: unknown): string[] {
    const op = this.operation(key);
    if (!op.responses.has(status)) {
      // Undeclared error statuses (401, 403, 5xx…) must still be GitHub's error shape.
      if (status >= 400 && status < 500)
        return this.check(`basic-error`, this.ajv, { $ref: 'github#/components/schemas/basic-error' }, body);
      return [`${key}: status ${status} is not a documented response`];
    }
    const response = ((this.spec.paths as JsonObject)[op.path] as JsonObject)[op.method.toLowerCase()] as JsonObject;
    const declared = this.resolve((response.responses as JsonObject)[String(status)]!) as JsonObject;
    const content = declared.content as JsonObject | undefined;
    if (!content?.['application/json']) {
      if (body === undefined || body === null || body === '') return [];
      // GitHub sends its error body with every 4xx, also where the description documents none.
      if (status >= 400)
        return this.check('basic-error', this.ajv, { $ref: 'github#/components/schemas/basic-error' }, body);
      return [`${key} ${status}: a body where none is documented`];
    }
    const schemaRef = (response.responses as JsonObject)[String(status)] as JsonObject;
    const pointer =
      typeof schemaRef.$ref === 'string'
        ? `github${schemaRef.$ref}/content/application~1json/schema`
        : this.pointer(op, 'responses', String(status), 'content', 'application/json', 'schema');
    return this.check(`${key} ${status}`, this.ajv, { $ref: pointer }, body).map(
      (problem) => `${key} ${status}: ${problem}`,
    );
  }

  /** Problems of a webhook payload against GitHub's webhook description (`push`, `pull-request-opened`, …). */
  validateWebhook(webhook: string, payload: unknown): string[] {
    const pointer = `webhooks#/webhooks/${escapePointer(webhook)}/post/requestBody/content/application~1json/schema`;
    return this.check(`webhook ${webhook}`, this.webhookAjv, { $ref: pointer }, payload).map(
      (p) => `webhook ${webhook}: ${p}`,
    );
  }

  private check(cacheKey: string, ajv: Ajv, schema: JsonObject, data: unknown): string[] {
    const validate = this.compiled(cacheKey, ajv, () => schema);
    if (validate(data)) return [];
    return (validate.errors ?? []).map(
      (e) => `${e.instancePath || '/'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`,
    );
  }

  /** A parameter schema, with `#/components/…` refs pointed at the subset. */
  private rebase(schema: JsonObject): JsonObject {
    return JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\//g, '"$ref":"github#/')) as JsonObject;
  }
}
