/**
 * The OpenAPI 3.1 description of the API, written by hand. Limits come from the same constants
 * and config the validators use, and a test checks that every route the app serves is here.
 */
import { AIRPORT_PATTERN, DEPARTURE_EXAMPLE, LIMITS } from './validation.ts';

export interface OpenApiConfig {
  maxBatchSize: number;
  maxBodyBytes: number;
  maxInflight: number;
  inferenceTimeoutMs: number;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object, example?: unknown) => ({
  'application/json': { schema, ...(example === undefined ? {} : { example }) },
});
const errorResponse = (description: string) => ({ description, content: json(ref('Error')) });
const requestIdHeader = {
  'x-request-id': {
    description: 'Id of this request; quote it in feedback and bug reports.',
    schema: { type: 'string' },
  },
};

export function openApiDocument(config: OpenApiConfig) {
  const flightExample = { departure: DEPARTURE_EXAMPLE, distance: 733, origin: 'ORD', destination: 'LGA' };
  const airport = {
    type: 'string',
    pattern: AIRPORT_PATTERN.source,
    description:
      'IATA airport code, 3 capital letters. Codes the model never saw are scored with its defaults and counted in unknown_airports_total.',
  };
  const departure = {
    type: 'string',
    pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?$',
    description: `Scheduled departure, local wall-clock time without a zone, year ${LIMITS.yearMin}–${LIMITS.yearMax}.`,
    examples: [DEPARTURE_EXAMPLE],
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Taxiway flight-delay risk service',
      version: '1',
      description:
        'Scores the risk that a US domestic flight departs more than 15 minutes late, with the champion model named by manifests/production.json in git. A flight is flagged (`delayed: true`) when its probability is at or above the model card threshold, which flags about 20% of flights.',
    },
    servers: [{ url: 'http://127.0.0.1:8080' }],
    paths: {
      '/v1/predict': {
        post: {
          operationId: 'predict',
          summary: 'Score one flight, or a batch of flights',
          description: `Body: one flight object, or { "flights": [...] } with 1 to ${config.maxBatchSize} flights. At most ${config.maxBodyBytes} bytes. Above ${config.maxInflight} concurrent predictions the service answers 429; inference slower than ${config.inferenceTimeoutMs} ms answers 503.`,
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: { oneOf: [ref('Flight'), ref('FlightBatch')] },
                examples: {
                  single: { value: flightExample },
                  batch: {
                    value: {
                      flights: [flightExample, { ...flightExample, origin: 'ATL', destination: 'DFW', distance: 732 }],
                    },
                  },
                },
              },
            },
          },
          responses: {
            '200': {
              description: 'Scores from the serving model',
              headers: {
                ...requestIdHeader,
                'x-model-version': {
                  description: 'Version of the model that scored the request.',
                  schema: { type: 'string' },
                },
              },
              content: json({ oneOf: [ref('Prediction'), ref('BatchPrediction')] }),
            },
            '400': errorResponse(
              'Malformed JSON, or a field is missing, of the wrong type or out of range; `error.issues` names each field',
            ),
            '413': errorResponse(`Body over ${config.maxBodyBytes} bytes, or more than ${config.maxBatchSize} flights`),
            '415': errorResponse('Content-Type is not application/json'),
            '429': errorResponse('Too many concurrent predictions; retry after the Retry-After header'),
            '503': errorResponse('No model loaded yet, or inference timed out; retry after the Retry-After header'),
          },
        },
      },
      '/v1/feedback': {
        post: {
          operationId: 'feedback',
          summary: 'Report the actual delay of a predicted flight',
          description:
            'Joins the outcome to a recent prediction (by request id, or by the flight) and updates the online quality metrics (AUC, recall at the 20% alert budget) over a recent window.',
          requestBody: {
            required: true,
            content: json(ref('Feedback'), { requestId: '6f1c8a3e-6a8b-4c55-9d8e-0b7f3f1f2a11', delayMinutes: 42 }),
          },
          responses: {
            '200': { description: 'Outcome recorded', headers: requestIdHeader, content: json(ref('FeedbackResult')) },
            '400': errorResponse('Malformed body'),
            '404': errorResponse('No recent prediction matches'),
            '409': errorResponse('This prediction already has an outcome'),
            '413': errorResponse('Body too large'),
            '415': errorResponse('Content-Type is not application/json'),
          },
        },
      },
      '/v1/model': {
        get: {
          operationId: 'model',
          summary: 'The serving model, the manifest champion, previous and challenger, with lineage',
          responses: {
            '200': {
              description: 'Model versions and lineage from their cards',
              content: json(ref('ModelDescription')),
            },
          },
        },
      },
      '/dashboard': {
        get: {
          operationId: 'dashboard',
          summary:
            "An HTML page with this replica's charts: traffic, latency, quality by version and slice, drift, version timeline",
          responses: { '200': { description: 'The page', content: { 'text/html': { schema: { type: 'string' } } } } },
        },
      },
      '/dashboard/data': {
        get: {
          operationId: 'dashboardData',
          summary:
            "The dashboard's figures over its window (this replica's metrics sampled; see service/dashboard-data.ts)",
          responses: { '200': { description: 'Figures', content: json({ type: 'object' }) } },
        },
      },
      '/healthz': {
        get: {
          operationId: 'healthz',
          summary: 'Liveness: the process is up (independent of the model)',
          responses: {
            '200': {
              description: 'Alive',
              content: json({
                type: 'object',
                properties: { status: { const: 'ok' }, uptimeSeconds: { type: 'number' } },
              }),
            },
          },
        },
      },
      '/readyz': {
        get: {
          operationId: 'readyz',
          summary: 'Readiness: a model is loaded, verified and warmed, and the service is not draining',
          responses: {
            '200': { description: 'Ready', content: json(ref('Readiness')) },
            '503': {
              description: 'Not ready (no model yet, or draining); the body says why, including the last load error',
              content: json(ref('Readiness')),
            },
          },
        },
      },
      '/metrics': {
        get: {
          operationId: 'metrics',
          summary: 'Prometheus metrics (text exposition format 0.0.4)',
          responses: { '200': { description: 'Metrics', content: { 'text/plain': { schema: { type: 'string' } } } } },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'openapi',
          summary: 'This document',
          responses: { '200': { description: 'OpenAPI 3.1 document', content: json({ type: 'object' }) } },
        },
      },
      '/admin/reload': {
        post: {
          operationId: 'reload',
          summary: 'Re-read the manifest from git now (deploy hook)',
          description:
            'Fetches the git source and loads the manifest champion if it changed. Needs `Authorization: Bearer <ADMIN_TOKEN>`; disabled (404) when the service runs without ADMIN_TOKEN.',
          security: [{ adminToken: [] }],
          responses: {
            '200': { description: 'Loaded, or already serving the champion', content: json(ref('ReloadResult')) },
            '401': errorResponse('Missing or wrong bearer token'),
            '404': errorResponse('Admin endpoints are disabled'),
            '422': {
              description: 'The champion failed verification; the previous model keeps serving',
              content: json(ref('ReloadResult')),
            },
            '502': { description: 'The git source could not be read', content: json(ref('ReloadResult')) },
          },
        },
      },
    },
    components: {
      securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Flight: {
          type: 'object',
          required: ['departure', 'distance', 'origin', 'destination'],
          properties: {
            departure,
            distance: {
              type: 'number',
              minimum: LIMITS.distanceMin,
              maximum: LIMITS.distanceMax,
              description: 'Great-circle distance in miles.',
            },
            origin: airport,
            destination: airport,
          },
        },
        FlightBatch: {
          type: 'object',
          required: ['flights'],
          properties: { flights: { type: 'array', minItems: 1, maxItems: config.maxBatchSize, items: ref('Flight') } },
        },
        Prediction: {
          type: 'object',
          required: ['requestId', 'model', 'probability', 'delayed', 'threshold'],
          properties: {
            requestId: { type: 'string' },
            model: { type: 'string', description: 'Version of the model that scored the flight.' },
            probability: {
              type: 'number',
              minimum: 0,
              maximum: 1,
              description: 'Probability of a departure delay over 15 minutes.',
            },
            delayed: {
              type: 'boolean',
              description: 'probability ≥ threshold: the flight is among the riskiest ~20%.',
            },
            threshold: { type: 'number', description: 'Alert threshold from the model card.' },
          },
        },
        BatchPrediction: {
          type: 'object',
          required: ['requestId', 'model', 'threshold', 'predictions'],
          properties: {
            requestId: { type: 'string' },
            model: { type: 'string' },
            threshold: { type: 'number' },
            predictions: {
              type: 'array',
              description: 'One entry per flight, in request order; address one in feedback with requestId and index.',
              items: {
                type: 'object',
                required: ['probability', 'delayed'],
                properties: { probability: { type: 'number' }, delayed: { type: 'boolean' } },
              },
            },
          },
        },
        Feedback: {
          type: 'object',
          required: ['delayMinutes'],
          properties: {
            requestId: { type: 'string', description: 'Request id of the prediction.' },
            index: { type: 'integer', minimum: 0, description: 'Row of a batch request (default 0).' },
            flight: {
              type: 'object',
              required: ['departure', 'origin', 'destination'],
              properties: { departure, origin: airport, destination: airport },
              description: 'Alternative to requestId: the latest prediction for this flight.',
            },
            delayMinutes: {
              type: 'number',
              minimum: LIMITS.delayMinutesMin,
              maximum: LIMITS.delayMinutesMax,
              description: 'Actual departure delay in minutes (negative = early).',
            },
          },
          oneOf: [{ required: ['requestId'] }, { required: ['flight'] }],
        },
        FeedbackResult: {
          type: 'object',
          properties: {
            requestId: { type: 'string' },
            index: { type: 'integer' },
            model: { type: 'string' },
            probability: { type: 'number' },
            flagged: { type: 'boolean' },
            delayed: { type: 'boolean' },
            quality: {
              type: 'object',
              description:
                'Online quality over the recent window (AUC, recall and precision at the 20% budget; null while undefined).',
            },
          },
        },
        Lineage: {
          type: ['object', 'null'],
          properties: {
            version: { type: 'string' },
            sha256: { type: 'string' },
            path: { type: 'string' },
            trainedAt: { type: ['string', 'null'] },
            codeCommit: { type: ['string', 'null'] },
            data: {
              type: ['object', 'null'],
              description: 'Data file, asOf and the train/validation/evaluation windows.',
            },
            runUrl: { type: ['string', 'null'], description: 'GitHub Actions run that trained the model.' },
            threshold: { type: ['number', 'null'] },
            metrics: {
              type: ['object', 'null'],
              description: 'Evaluation-week AUC, recall and precision at the 20% budget, log loss, Brier, ECE.',
            },
          },
        },
        ModelDescription: {
          type: 'object',
          properties: {
            serving: ref('Lineage'),
            champion: ref('Lineage'),
            previous: ref('Lineage'),
            challenger: ref('Lineage'),
            manifest: { type: ['object', 'null'] },
            inSync: { type: 'boolean', description: 'The serving model is the manifest champion.' },
            source: { type: 'string' },
          },
        },
        Readiness: {
          type: 'object',
          required: ['ready', 'draining'],
          properties: {
            ready: { type: 'boolean' },
            draining: { type: 'boolean' },
            serving: { type: ['object', 'null'] },
            manifest: { type: ['object', 'null'] },
            inSync: { type: 'boolean' },
            lastSync: { type: ['object', 'null'] },
            lastError: {
              type: ['object', 'null'],
              description:
                'The last failed load: reason (missing_file, hash_mismatch, corrupt_onnx, schema_mismatch, golden_mismatch, …) and message.',
            },
          },
        },
        ReloadResult: {
          type: 'object',
          properties: {
            result: { enum: ['loaded', 'unchanged', 'failed'] },
            revision: { type: ['string', 'null'] },
            version: { type: ['string', 'null'] },
            reason: { type: 'string' },
            message: { type: 'string' },
            serving: { type: ['object', 'null'] },
          },
        },
        Error: {
          type: 'object',
          required: ['error', 'requestId'],
          properties: {
            error: {
              type: 'object',
              required: ['status', 'message'],
              properties: {
                status: { type: 'integer' },
                message: {
                  type: 'string',
                  examples: [
                    `flights[3].distance must be a finite number between ${LIMITS.distanceMin} and ${LIMITS.distanceMax}, got string "NaN"`,
                  ],
                },
                issues: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: { field: { type: 'string' }, problem: { type: 'string' }, message: { type: 'string' } },
                  },
                },
              },
            },
            requestId: { type: 'string' },
          },
        },
      },
    },
  };
}
