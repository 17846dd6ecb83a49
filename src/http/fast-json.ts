// The JSON body of the common request read without body-parser's machinery (type-is, content-type,
// raw-body's listeners and an iconv decoder made per request: ~35 µs of the accept path's CPU).
// Only for `Content-Type: application/json` (optionally `; charset=utf-8`), no Content-Encoding, a
// Content-Length within the limit and a body that is an object or array of valid JSON without a BOM;
// anything else goes to express.json as before, so every answer (413, 415, 400 with its message) is
// exactly the one body-parser gives: a body that does not parse is handed to it again, as it was read.
import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import type { Request, RequestHandler } from 'express';

const UNITS: Record<string, number> = { b: 1, kb: 1 << 10, mb: 1 << 20, gb: 1 << 30 };

/** `bytes.parse`'s reading of a limit ('100kb', '1mb', 2048); undefined when it is not that simple (no fast path). */
export function limitBytes(limit: string | number): number | undefined {
  if (typeof limit === 'number') return Number.isFinite(limit) ? limit : undefined;
  const m = /^(\d+(?:\.\d+)?) *(b|kb|mb|gb)?$/i.exec(limit.trim());
  return m ? Math.floor(Number(m[1]) * UNITS[(m[2] ?? 'b').toLowerCase()]) : undefined;
}

const PLAIN_JSON = new Set(['application/json', 'application/json; charset=utf-8', 'application/json;charset=utf-8']);

/** Whether this request is the plain case: its declared length (> 0, within the limit), else undefined. */
function plainLength(req: Request, limit: number): number | undefined {
  const h = req.headers;
  if (h['transfer-encoding'] !== undefined || (h['content-encoding'] !== undefined && h['content-encoding'].toLowerCase() !== 'identity')) return undefined;
  const type = h['content-type'];
  if (type === undefined || !PLAIN_JSON.has(type.toLowerCase())) return undefined;
  const text = h['content-length'];
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const length = Number(text);
  return length > 0 && length <= limit ? length : undefined;
}

/** What body-parser answers for these bytes: they are handed to it as the request it would have read. */
function replay(parser: RequestHandler, req: Request, body: Buffer, next: (e?: unknown) => void): void {
  // What on-finished and raw-body look at: an incoming message not yet complete, on a readable socket.
  const socket = Object.assign(new EventEmitter(), { readable: true });
  const again = Object.assign(Readable.from([body]), { headers: req.headers, complete: false, socket });
  parser(again as unknown as Request, undefined as never, (e?: unknown) => {
    if (e) return next(e);
    req.body = (again as unknown as { body: unknown }).body;
    next();
  });
}

/** `parser` (express.json with `limit`) for every request but the plain case, which is read here. */
export function fastJson(parser: RequestHandler, limit: string | number): RequestHandler {
  const max = limitBytes(limit);
  if (max === undefined) return parser;
  return (req, res, next) => {
    const length = req.body === undefined ? plainLength(req, max) : undefined;
    if (length === undefined) return parser(req, res, next);
    const chunks: Buffer[] = [];
    let received = 0;
    let done = false;
    const finish = (e?: Error): void => {
      if (done) return;
      done = true;
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('error', finish);
      req.removeListener('aborted', onAborted);
      if (e) return next(Object.assign(e, { status: 400, statusCode: 400, expose: true, type: 'request.aborted', expected: length, received }));
      // Node ends a request only after its Content-Length; raw-body's error, should it ever differ.
      if (received !== length) {
        const err = new Error('request size did not match content length');
        return next(Object.assign(err, { status: 400, statusCode: 400, expose: true, type: 'request.size.invalid', expected: length, length, received }));
      }
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received);
      // A BOM, a scalar or anything JSON.parse refuses: body-parser decides (and words the error).
      const first = body[0];
      if (first !== 0x7b && first !== 0x5b) return replay(parser, req, body, next);
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        return replay(parser, req, body, next);
      }
      req.body = parsed;
      next();
    };
    const onData = (c: Buffer): void => {
      received += c.length;
      chunks.push(c);
    };
    const onEnd = (): void => finish();
    const onAborted = (): void => finish(new Error('request aborted'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', finish);
    req.on('aborted', onAborted);
  };
}
