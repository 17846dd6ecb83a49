// One error body everywhere: { error: { code, message, issues? } }, whatever went wrong.
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { ZodError, ZodIssue } from 'zod';
import { HeraldError, type ErrorCode, type FieldIssue } from '../domain/errors';
import type { Logger } from '../log/logger';

/** Codes only the HTTP layer produces, beside the domain's. */
export type HttpErrorCode = ErrorCode | 'UNSUPPORTED_MEDIA_TYPE' | 'METHOD_NOT_ALLOWED' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'RATE_LIMITED';

export interface ErrorBody {
  error: { code: HttpErrorCode; message: string; issues?: FieldIssue[] };
}

/** An error that already knows its HTTP status (protocol problems, not domain ones). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: HttpErrorCode,
    message: string,
    readonly issues: FieldIssue[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNPROCESSABLE: 422,
  PAYLOAD_TOO_LARGE: 413,
  STORE_UNAVAILABLE: 503,
  BUS_UNAVAILABLE: 503,
  PUBLISH_NOT_CONFIRMED: 503,
  CONFIG_INVALID: 500,
  PROVIDER_ERROR: 502,
  SENDER_THREAD_FAILED: 500,
  INTERNAL: 500,
};

/** "an object", "an integer", "a string": the article English puts before a type name. */
export function withArticle(noun: string): string {
  return `${/^[aeiou]/i.test(noun) ? 'an' : 'a'} ${noun}`;
}

function reasonOf(issue: ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.received === 'undefined') return 'is required';
  if (issue.code === 'invalid_type') return `must be ${withArticle(issue.expected)}, got ${issue.received}`;
  if (issue.code === 'invalid_enum_value') return `must be one of ${issue.options.map(String).join(', ')}`;
  return issue.message;
}

/** A field path: keys joined with dots, array indexes in brackets (`recipients[3].phone`). */
export function fieldPath(path: Array<string | number>, prefix = ''): string {
  let out = prefix;
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (p !== '') out = out ? `${out}.${p}` : p;
  }
  return out;
}

/** Every zod issue as a field path (`templates.sms.text`, `recipients[3].phone`); unknown keys become one issue each. */
export function zodIssues(err: ZodError, prefix = ''): FieldIssue[] {
  const join = (path: Array<string | number>) => fieldPath(path, prefix);
  return err.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((k) => ({ field: join([...issue.path, k]), reason: 'is not a known field' }))
      : [{ field: join(issue.path) || 'body', reason: reasonOf(issue) }],
  );
}

/** body-parser's own errors (bad JSON, too large, bad charset) as HttpErrors. */
function fromBodyParser(err: { type?: string; status?: number; message?: string; limit?: number }): HttpError | null {
  switch (err.type) {
    case 'entity.parse.failed':
      return new HttpError(400, 'MALFORMED_JSON', `the body is not valid JSON (an object or array is expected): ${err.message ?? ''}`.trim());
    case 'entity.too.large':
      return new HttpError(413, 'PAYLOAD_TOO_LARGE', `the body is larger than the limit of ${err.limit ?? '?'} bytes`);
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', err.message ?? 'unsupported body encoding');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new HttpError(400, 'VALIDATION_FAILED', err.message ?? 'the body could not be read');
    default:
      return null;
  }
}

/** The full request path, also inside a mounted router (where req.path is relative). */
export function pathOf(req: Request): string {
  return req.originalUrl.split('?')[0];
}

function sendError(res: Response, status: number, body: ErrorBody, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.status(status).json(body);
}

/** The last middleware: maps any error to the JSON body and logs it with the request. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const notificationId = res.locals.notificationId as string | undefined;
    const ctx = { method: req.method, path: pathOf(req), ...(notificationId ? { notificationId } : {}) };
    const parserError = err && typeof err === 'object' && 'type' in err ? fromBodyParser(err as { type?: string }) : null;
    const known = err instanceof HttpError ? err : parserError;
    if (known) {
      logger.warn(`http ${known.status} ${known.code}: ${known.message}`, { ...ctx, status: known.status, code: known.code, issues: known.issues });
      const issues = known.issues.length ? { issues: known.issues } : {};
      return sendError(res, known.status, { error: { code: known.code, message: known.message, ...issues } }, known.headers);
    }
    if (err instanceof HeraldError) {
      const status = STATUS_BY_CODE[err.code] ?? 500;
      const headers: Record<string, string> = status === 503 ? { 'Retry-After': '5' } : {};
      const log = status >= 500 ? logger.error.bind(logger) : logger.warn.bind(logger);
      log(`http ${status} ${err.code}: ${err.message}`, { ...ctx, status, code: err.code, issues: err.issues });
      const issues = err.issues.length ? { issues: err.issues } : {};
      return sendError(res, status, { error: { code: err.code, message: err.message, ...issues } }, headers);
    }
    const e = err instanceof Error ? err : new Error(String(err));
    logger.error(`http 500 INTERNAL: ${e.message}`, { ...ctx, status: 500, code: 'INTERNAL', stack: e.stack });
    return sendError(res, 500, { error: { code: 'INTERNAL', message: 'internal error; the details are in the server log' } });
  };
}

/** Any route nobody answers. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'NOT_FOUND', `no route for ${req.method} ${pathOf(req)}`));
};
