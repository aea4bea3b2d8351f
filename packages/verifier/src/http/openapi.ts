/** The verifier's OpenAPI 3.1 description (tests validate real responses against these schemas). */
import { DISCLOSABLE_CLAIMS, ERROR_CODES } from '@maskid/core';

const problem = {
  type: 'object',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', enum: [...ERROR_CODES] },
  },
  additionalProperties: false,
};

/** The verifier's OpenAPI 3.1 document (served at `/openapi.json`; tests validate real responses against it). */
export const OPENAPI = {
  openapi: '3.1.0',
  info: { title: 'maskid verifier', version: '1.0.0', description: 'Offline verification of Internet ID presentations for one platform.' },
  paths: {
    '/v1/requests': {
      post: {
        summary: 'Create a presentation request (DC API, OpenID4VP 1.0 unsigned)',
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/RequestCreate' } } } },
        responses: {
          '201': { description: 'created', content: { 'application/json': { schema: { $ref: '#/components/schemas/RequestCreated' } } } },
          '400': { description: 'unknown or not allowed claims', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
          '503': { description: 'overloaded (ERR_OVERLOADED, with Retry-After)', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
        },
      },
    },
    '/v1/presentations': {
      post: {
        summary: 'Verify the wallet response to a request',
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/PresentationSubmit' } } } },
        responses: {
          '200': { description: 'verified', content: { 'application/json': { schema: { $ref: '#/components/schemas/Verified' } } } },
          '400': { description: 'malformed', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
          '401': { description: 'rejected', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
          '403': { description: 'claim not allowed', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
          '413': { description: 'too large', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
          '503': {
            description: 'status unavailable (fail closed, ERR_STATUS_UNAVAILABLE), or overloaded (ERR_OVERLOADED, with Retry-After; nothing consumed, retry)',
            content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
          },
        },
      },
    },
    '/healthz': {
      get: {
        summary: 'Readiness',
        responses: {
          '200': { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Health' } } } },
          '503': { description: 'degraded', content: { 'application/json': { schema: { $ref: '#/components/schemas/Health' } } } },
        },
      },
    },
    '/metrics': {
      get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } } } },
    },
  },
  components: {
    schemas: {
      Problem: problem,
      RequestCreate: {
        type: 'object',
        required: ['claims'],
        additionalProperties: false,
        properties: {
          claims: { type: 'array', minItems: 1, items: { type: 'string', enum: [...DISCLOSABLE_CLAIMS] } },
          format: {
            type: 'string',
            enum: ['vc+sd-jwt', 'dc+sd-jwt'],
            default: 'vc+sd-jwt',
            description: 'the credential form to ask for: the VCDM 2.0 SD-JWT, or the SD-JWT VCLD form (OpenID4VP 1.0 / HAIP wallets); the answer must be that form',
          },
        },
      },
      RequestCreated: {
        type: 'object',
        required: ['requestId', 'expiresAt', 'request'],
        additionalProperties: false,
        properties: {
          requestId: { type: 'string' },
          expiresAt: { type: 'string', format: 'date-time' },
          request: {
            type: 'object',
            required: ['protocol', 'data'],
            additionalProperties: false,
            properties: {
              protocol: { const: 'openid4vp-v1-unsigned' },
              data: {
                type: 'object',
                required: ['response_type', 'response_mode', 'nonce', 'dcql_query', 'client_metadata'],
                additionalProperties: false,
                properties: {
                  response_type: { const: 'vp_token' },
                  response_mode: { const: 'dc_api' },
                  nonce: { type: 'string' },
                  dcql_query: {
                    type: 'object',
                    description:
                      'one credential query internet_id: format vc+sd-jwt with type_values (expanded IRIs, then compact terms) and credentialSubject claim paths, or format dc+sd-jwt with vct_values and ld.credentialSubject claim paths',
                  },
                  client_metadata: {
                    type: 'object',
                    required: ['vp_formats_supported'],
                    properties: {
                      vp_formats_supported: {
                        type: 'object',
                        description: 'the requested format (vc+sd-jwt or dc+sd-jwt) with sd-jwt_alg_values and kb-jwt_alg_values (OpenID4VP 1.0 §11.1)',
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
      PresentationSubmit: {
        type: 'object',
        required: ['requestId', 'vp_token'],
        properties: {
          requestId: { type: 'string' },
          origin: { type: 'string' },
          vp_token: {
            oneOf: [
              { type: 'string' },
              { type: 'object', required: ['internet_id'], properties: { internet_id: { type: 'array', minItems: 1, maxItems: 1, items: { type: 'string' } } } },
            ],
          },
        },
      },
      Verified: {
        type: 'object',
        required: ['maskedId', 'claims', 'issuer', 'platform'],
        additionalProperties: false,
        properties: {
          maskedId: { type: 'string', pattern: '^m[1-9][a-z2-7]{26}$' },
          claims: { type: 'object', propertyNames: { enum: [...DISCLOSABLE_CLAIMS] } },
          issuer: { type: 'string' },
          platform: { type: 'string' },
        },
      },
      Health: {
        type: 'object',
        required: ['status', 'issuerKeys', 'lists', 'epoch', 'staleLists', 'manifestAgeSeconds'],
        additionalProperties: false,
        properties: {
          status: { enum: ['ok', 'degraded'] },
          issuerKeys: { type: 'integer' },
          lists: { type: 'integer', description: 'status lists held (lists that never changed are all zeros and need none)' },
          epoch: { type: 'integer', description: "the newest verified status manifest's epoch" },
          staleLists: { type: 'integer', description: 'lists whose newer version has not arrived yet' },
          manifestAgeSeconds: { type: 'number', description: "seconds since the newest verified manifest's signed iat (-1: none yet)" },
          replica: { type: 'integer', description: 'which replica answered (serve --replicas N: 1..N; 0 for a single process)' },
        },
      },
    },
  },
} as const;
