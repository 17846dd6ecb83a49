// The busiest route run without express's router: a POST /v1/notifications goes through the same
// handlers (request log, body, access gate, validation, handler, error handler) in the same order, but
// not through app.handle's final handler, the router's per-layer matching and its next() bookkeeping
// (tens of µs a request, as much as the route's own work). Anything that is not exactly that method and
// path (another method, an absolute URL, a double slash) goes through express as before.
import type express from 'express';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';

/** The pathname as express matches a route path: raw, case-insensitive, one trailing slash allowed. */
export function pathMatcher(path: string): (url: string) => boolean {
  const lower = path.toLowerCase();
  return (url) => {
    const q = url.indexOf('?');
    const p = (q < 0 ? url : url.slice(0, q)).toLowerCase();
    return p === lower || p === `${lower}/`;
  };
}

/** Runs handlers as the router runs a layer's: a thrown error or a rejected promise is next(error); an error ends the chain. */
function run(handlers: RequestHandler[], req: Request, res: Response, done: (err?: unknown) => void): void {
  let i = 0;
  const next = (err?: unknown): void => {
    if (err !== undefined && err !== null && err !== 'route' && err !== 'router') return done(err);
    const h = handlers[i++];
    if (!h) return done();
    try {
      const ret = h(req, res, next) as unknown;
      if (ret && typeof (ret as Promise<unknown>).then === 'function') (ret as Promise<unknown>).then(undefined, (e: unknown) => next(e ?? new Error('Rejected promise')));
    } catch (e) {
      next(e);
    }
  };
  next();
}

/**
 * Requests with `method` on `path` run `handlers` directly, after what app.handle and the router set up for
 * a handler (the express request and response prototypes, res.locals, originalUrl, baseUrl, params); an error
 * goes to `onError` as it would at the end of the app. The app must have x-powered-by disabled.
 */
export function directRoute(app: express.Express, method: string, path: string, handlers: RequestHandler[], onError: ErrorRequestHandler): void {
  const matches = pathMatcher(path);
  type Handle = (req: Request, res: Response, callback?: unknown) => void;
  // app.handle is what the app function (a listener, supertest) calls for every request; not in express's typings.
  const target = app as unknown as { handle: Handle };
  const handle = target.handle.bind(app);
  const appRequest = app.request;
  const appResponse = app.response;
  target.handle = (req, res, callback) => {
    if (callback !== undefined || req.method !== method || typeof req.url !== 'string' || req.url[0] !== '/' || !matches(req.url)) return handle(req, res, callback);
    req.res = res;
    res.req = req;
    Object.setPrototypeOf(req, appRequest);
    Object.setPrototypeOf(res, appResponse);
    if (!res.locals) res.locals = Object.create(null) as Record<string, unknown>;
    req.originalUrl ??= req.url;
    req.baseUrl = '';
    req.params = {};
    run(handlers, req, res, (err) => {
      // Every handler of the chain answers or fails; one that passed on would reach express's 404.
      const e = err ?? Object.assign(new Error(`no answer for ${req.method} ${path}`), { status: 500 });
      try {
        onError(e, req, res, () => undefined);
      } catch {
        // What express's final handler does when the error handler itself fails (the router catches it there):
        // a bare 500, or the response cut short; never an exception out of the request (it would end the process).
        if (res.headersSent) res.destroy();
        else res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Internal Server Error');
      }
    });
  };
}
