// A route is declared once, with its schemas: the same declaration validates requests,
// mounts the express handler and describes the operation in the OpenAPI document.
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import express, { type Request, type Response, type Router } from 'express';
import type { FieldIssue } from '../domain/errors';
import { ConflictError, UnprocessableError, ValidationError } from '../domain/errors';
import { DEFAULT_WORKSPACE } from '../domain/types';
import type { Principal } from '../services/tenancy/keys';
import { principalOf, rolesFor, type Access, type Gate } from './access';
import { HttpError, zodIssues } from './errors';
import type { ErrorExample } from './error-examples';
import { leanParse } from './schemas/lean-parse';
import type { z } from './schemas/zod';

type Method = 'get' | 'post' | 'patch' | 'delete';
type Out<T> = T extends z.ZodTypeAny ? z.output<T> : undefined;

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** A body streamed as it is produced (CSV exports, metrics text), with its Content-Type in `headers`. */
  stream?: Readable;
}

export interface ResponseSpec {
  description: string;
  schema?: z.ZodTypeAny;
  headers?: Record<string, string>;
}

export interface RouteSpec<P = any, Q = any, B = any, H = any> {
  method: Method;
  /** Express syntax (`/v1/programs/:programId`); the OpenAPI path is derived from it. */
  path: string;
  summary: string;
  tag: string;
  description?: string;
  /** Who may call it: the least role (viewer < sender < admin), or open to anyone without a key. */
  access: Access;
  params?: P;
  query?: Q;
  body?: B;
  /** Request headers the route reads (validated, and documented as header parameters). */
  headers?: H;
  /** Legacy door: parse the body as JSON whatever Content-Type says. */
  anyContentType?: boolean;
  /** Success responses by status. */
  responses: Record<number, ResponseSpec>;
  /** Error statuses this route can answer besides 400 and 500. */
  errors?: number[];
  /** The document's example error body per status, where the generic one (error-examples.ts) would mislead. */
  errorExamples?: Record<number, ErrorExample>;
  handler(input: {
    params: Out<P>;
    query: Out<Q>;
    body: Out<B>;
    headers: Out<H>;
    /** The caller's workspace (the default one on open routes called without a key). */
    workspaceId: string;
    /** The caller; null on an open route called without a key. */
    principal: Principal | null;
    req: Request;
    res: Response;
  }): Promise<Reply>;
}

/** A route as the OpenAPI document sees it: for routers that parse their own requests (webhooks). */
export type DocumentedRoute = Omit<RouteSpec, 'handler'>;

/** A clearer 409 than the store's: the id given is already used (the store still guards races). */
export function assertIdFree(existing: unknown, what: string, id: string | undefined): void {
  if (id !== undefined && existing) throw new ConflictError(`${what} '${id}' already exists`, [{ field: 'id', reason: 'is already taken' }]);
}

/** Identity with inference: declares one route. */
export function route<
  P extends z.AnyZodObject | undefined = undefined,
  Q extends z.AnyZodObject | undefined = undefined,
  B extends z.ZodTypeAny | undefined = undefined,
  H extends z.AnyZodObject | undefined = undefined,
>(spec: RouteSpec<P, Q, B, H>): RouteSpec<P, Q, B, H> {
  return spec;
}

function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/** A PATCH that names no field changes nothing: refused, and documented as minProperties 1. */
const isEmptyObject = (v: unknown): boolean => v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0;

/** Issues that refuse a document-valid value (schemas/common.ts UNPROCESSABLE): 422 when they are all there is. */
type Issues = FieldIssue[] & { unprocessable?: number };

function parsePart(schema: z.ZodTypeAny | undefined, value: unknown, issues: Issues, prefix = ''): unknown {
  if (!schema) return undefined;
  const lean = leanParse(schema, value);
  if (lean) return lean.data;
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  issues.push(...zodIssues(r.error, prefix));
  const semantic = r.error.issues.filter((i) => i.code === 'custom' && (i.params as { status?: number } | undefined)?.status === 422).length;
  issues.unprocessable = (issues.unprocessable ?? 0) + semantic;
  return undefined;
}

/** A failure before the first byte is an ordinary error answer; after it, the response can only be cut short. */
async function sendStream(res: Response, stream: Readable): Promise<void> {
  try {
    await pipeline(stream, res);
  } catch (e) {
    if (!res.headersSent) throw e;
    res.destroy(e as Error);
  }
}

/**
 * The JSON answer to a write (POST, PATCH, DELETE: a 202 for every accepted notification) in one writeHead,
 * without express's send: no ETag to hash (only GET and HEAD answers are conditional) and no header munging.
 * Same headers otherwise: the reply's, JSON with its charset, the length.
 */
function sendJson(res: Response, reply: Reply): void {
  const text = JSON.stringify(reply.body);
  const headers: Record<string, string | number> = { ...reply.headers };
  if (!res.hasHeader('Content-Type') && reply.headers?.['Content-Type'] === undefined) headers['Content-Type'] = 'application/json; charset=utf-8';
  headers['Content-Length'] = Buffer.byteLength(text);
  res.writeHead(reply.status, headers).end(text);
}

/** Deeper JSON is refused before anything reads it: it parses, but JSON.stringify (the store, idempotency) overflows the stack a few thousand levels down, and MongoDB stores at most 100 levels. */
const MAX_BODY_DEPTH = 64;

/** The top-level field of a body under which it nests deeper than MAX_BODY_DEPTH ('body' for an array), else undefined. */
function tooDeepField(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  for (const [key, value] of Object.entries(body)) {
    const stack: Array<[unknown, number]> = [[value, 2]];
    while (stack.length) {
      const [v, depth] = stack.pop()!;
      if (v === null || typeof v !== 'object') continue;
      if (depth > MAX_BODY_DEPTH) return Array.isArray(body) ? 'body' : key;
      for (const child of Object.values(v)) stack.push([child, depth + 1]);
    }
  }
  return undefined;
}

/** A route's express handlers: its access gate, then validation of every part, then its handler and the answer. */
export function routeHandlers(spec: RouteSpec, gate: Gate, lenientJson: express.RequestHandler): express.RequestHandler[] {
  const handlers: express.RequestHandler[] = [...gate(spec.access)];
  if (spec.anyContentType) handlers.push(lenientJson);
  handlers.push(async (req, res) => {
    if (spec.body && hasBody(req) && req.body === undefined) {
      throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `Content-Type must be application/json (got '${req.get('content-type') ?? 'none'}')`);
    }
    const deep = spec.body ? tooDeepField(req.body) : undefined;
    if (deep) throw new ValidationError([{ field: deep, reason: `nests deeper than ${MAX_BODY_DEPTH} levels` }]);
    const issues: Issues = [];
    const params = parsePart(spec.params, req.params, issues);
    // req.query parses the URL at every read: only for routes that declare a query.
    const query = spec.query ? parsePart(spec.query, req.query ?? {}, issues) : undefined;
    const headers = parsePart(spec.headers, req.headers, issues);
    let body: unknown;
    if (spec.body) {
      if (req.body === undefined) issues.push({ field: 'body', reason: 'a JSON body is required' });
      else body = parsePart(spec.body, req.body, issues);
      if (spec.method === 'patch' && isEmptyObject(body)) issues.push({ field: 'body', reason: 'must change at least one field' });
    }
    if (issues.length && issues.unprocessable === issues.length) throw new UnprocessableError([...issues], 'request cannot be processed');
    if (issues.length) throw new ValidationError([...issues]);
    const principal = principalOf(res);
    const workspaceId = principal?.workspaceId ?? DEFAULT_WORKSPACE;
    const reply = await spec.handler({ params, query, body, headers, workspaceId, principal, req, res } as Parameters<RouteSpec['handler']>[0]);
    // A handler that answered itself (an event stream) is done.
    if (res.headersSent) return;
    if (reply.stream === undefined && reply.body !== undefined && req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, reply);
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
    if (reply.stream) await sendStream(res.status(reply.status), reply.stream);
    else if (reply.body === undefined) res.status(reply.status).end();
    else res.status(reply.status).json(reply.body);
  });
  return handlers;
}

/** Mounts routes on a router; every request passes its access gate and is validated fully before its handler runs. */
export function mountRoutes(router: Router, routes: RouteSpec[], jsonLimit: string, gate: Gate): void {
  const lenientJson = express.json({ limit: jsonLimit, type: () => true });
  for (const spec of routes) router[spec.method](spec.path, ...routeHandlers(spec, gate, lenientJson));
  // A known path with a method it does not serve: 405 with Allow, instead of a bare 404.
  const methodsByPath = new Map<string, string[]>();
  for (const r of routes) methodsByPath.set(r.path, [...(methodsByPath.get(r.path) ?? []), r.method.toUpperCase()]);
  for (const [path, methods] of methodsByPath) {
    const allow = [...new Set([...methods, ...(methods.includes('GET') ? ['HEAD'] : [])])].join(', ');
    router.all(path, (req) => {
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${req.path}; use ${allow}`, [], { Allow: allow });
    });
  }
}
