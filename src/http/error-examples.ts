// The OpenAPI document's example error body for each status of each operation: what that
// operation would really answer (its resource, its fields), not one VALIDATION_FAILED for all.
import type { FieldIssue } from '../domain/errors';
import type { z } from './schemas/zod';

export interface ErrorExample {
  code: string;
  message: string;
  issues?: FieldIssue[];
}

/** What the examples need to know of a route (a subset of RouteSpec, to keep this file below route.ts). */
export interface ExampleRoute {
  method: string;
  path: string;
  tag: string;
  params?: unknown;
  query?: unknown;
  body?: unknown;
}

/** The status lines the document gives each error status. */
export const ERROR_TEXT: Record<number, string> = {
  400: 'invalid request (malformed JSON, unknown field, bad value)',
  401: 'no API key, or one that is unknown or revoked (WWW-Authenticate: Bearer)',
  403: "the key's role may not call this (or protected mode: no key exists and the client is not local)",
  404: 'not found',
  405: 'the path does not serve this method',
  409: 'conflict: the id (or the combination) already exists',
  413: 'the body is too large',
  415: 'the body is not JSON',
  422: 'well-formed but not acceptable',
  429: 'too many requests for this key (or client address); see Retry-After',
  500: 'internal error',
  502: 'the provider failed',
  503: 'the store or the message bus is unavailable; retry later',
};

/** `eventTypeId` -> "event type"; `id` -> the tag's singular ("notifications" -> "notification"). */
function thingOf(param: string | undefined, tag: string): string {
  if (!param || param === 'id') return tag.replace(/s$/, '');
  return param.replace(/_?[Ii]d$/, '').replace(/([a-z])([A-Z])/g, '$1 $2').replace(/_/g, ' ').toLowerCase();
}

/** The keys of an object schema, through optional/default/effects wrappers. */
function keysOf(schema: unknown): string[] {
  let s = schema as z.ZodTypeAny | undefined;
  for (let i = 0; s && i < 5; i++) {
    const def = s._def as { typeName?: string; schema?: z.ZodTypeAny; innerType?: z.ZodTypeAny; shape?: () => Record<string, unknown> };
    if (def.typeName === 'ZodObject' && def.shape) return Object.keys(def.shape());
    s = def.schema ?? def.innerType;
  }
  return [];
}

const lastParam = (path: string): string | undefined => [...path.matchAll(/:([A-Za-z0-9_]+)/g)].pop()?.[1];

function validationExample(r: ExampleRoute): ErrorExample {
  const bodyField = keysOf(r.body).find((k) => k !== 'id');
  if (bodyField) return { code: 'VALIDATION_FAILED', message: 'request is invalid', issues: [{ field: bodyField, reason: 'is required' }] };
  if (keysOf(r.query).includes('limit')) return { code: 'VALIDATION_FAILED', message: 'request is invalid', issues: [{ field: 'limit', reason: 'must be at least 1' }] };
  const param = lastParam(r.path);
  if (param) return { code: 'VALIDATION_FAILED', message: 'request is invalid', issues: [{ field: param, reason: 'must be 1-128 letters, digits, ".", "_", "~" or "-"' }] };
  return { code: 'MALFORMED_JSON', message: 'the body is not valid JSON (an object or array is expected)' };
}

/** 422 for an unknown id in the body (the README's rule), else a refusal of the first field. */
function unprocessableExample(r: ExampleRoute): ErrorExample {
  const keys = keysOf(r.body);
  const ref = keys.find((k) => /[a-z](Id|_id)$/.test(k));
  if (ref) {
    const thing = thingOf(ref, r.tag);
    return { code: 'UNPROCESSABLE', message: `the ${r.tag.replace(/s$/, '')} refers to records that do not exist`, issues: [{ field: ref, reason: `${thing} '9' does not exist` }] };
  }
  const field = keys[0] ?? lastParam(r.path) ?? 'body';
  return { code: 'UNPROCESSABLE', message: 'request cannot be processed', issues: [{ field, reason: `cannot be used with the current state of the ${thingOf(lastParam(r.path), r.tag)}` }] };
}

/** A realistic error body for `status` on route `r`. */
export function errorExample(r: ExampleRoute, status: number): ErrorExample {
  const thing = thingOf(lastParam(r.path), r.tag);
  switch (status) {
    case 400:
      return validationExample(r);
    case 401:
      return { code: 'UNAUTHORIZED', message: 'an API key is required: Authorization: Bearer <key>' };
    case 403:
      return { code: 'FORBIDDEN', message: `this key may not ${r.method === 'get' ? 'read' : 'change'} ${thing}s` };
    case 404:
      return { code: 'NOT_FOUND', message: `${thing} '7' not found` };
    case 405:
      return { code: 'METHOD_NOT_ALLOWED', message: `PUT is not allowed on ${r.path}; use ${r.method.toUpperCase()}` };
    case 409:
      return { code: 'CONFLICT', message: `${thing} '1' already exists`, issues: [{ field: 'id', reason: 'is already taken' }] };
    case 413:
      return { code: 'PAYLOAD_TOO_LARGE', message: 'the body is larger than the limit of 1048576 bytes' };
    case 415:
      return { code: 'UNSUPPORTED_MEDIA_TYPE', message: "Content-Type must be application/json (got 'text/plain')" };
    case 422:
      return unprocessableExample(r);
    case 429:
      return { code: 'RATE_LIMITED', message: 'too many requests; retry after 1 s' };
    case 502:
      return { code: 'PROVIDER_ERROR', message: 'the provider answered 500; retry later' };
    case 503:
      return { code: 'STORE_UNAVAILABLE', message: 'the store is unavailable' };
    default:
      return { code: 'INTERNAL', message: 'internal error; the details are in the server log' };
  }
}
