// The operator's dashboard: server-rendered pages over the same services as the API, a small
// progressive script, Server-Sent Events for what moves. `/` is the overview for a browser that
// prefers HTML; API clients keep getting JSON there. Everything else lives under /dashboard.
import fs from 'node:fs';
import path from 'node:path';
import cookieParser from 'cookie-parser';
import express, { type Request, type Response, type Router } from 'express';
import helmet from 'helmet';
import { HeraldError, NotFoundError } from '../../domain/errors';
import { PROTECTED_MODE_MESSAGE, type Access } from '../access';
import type { DashboardDeps } from './deps';
import { html } from './html';
import { ASSETS, BASE, barePage } from './layout';
import { createSessions, csrfValid, may, resolveViewer, viewerOf, type Handler } from './session';
import { signInRoutes } from './pages/sign-in';
import { overviewPage } from './pages/overview';
import { notificationPages } from './pages/notifications';
import { providerPages } from './pages/providers';
import { usagePages } from './pages/usage';
import { logPages } from './pages/logs';
import { searchPages } from './pages/search';
import { campaignPages } from './pages/campaigns';
import { eventRoutes } from './events';

export type { DashboardDeps, DashboardExtras } from './deps';

/** The hand-written script and style: beside this file in the source tree, copied next to the compiled one by the build. */
function assetsDir(): string {
  const here = path.join(__dirname, 'assets');
  return fs.existsSync(here) ? here : path.join(__dirname, '..', '..', '..', 'src', 'http', 'dashboard', 'assets');
}

/** A browser asking for a page: text/html preferred over JSON. */
export function prefersHtml(req: Request): boolean {
  return req.accepts(['application/json', 'text/html']) === 'text/html';
}

/** Serves `/` (to browsers only) and everything under /dashboard. */
export function createDashboard(deps: DashboardDeps): Router {
  const sessions = createSessions();
  const security = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
      },
    },
  });
  const parse = [cookieParser(), express.urlencoded({ extended: false, limit: '64kb' })];

  /** Pages: a viewer is resolved, or the visitor goes to sign-in (or sees protected mode). */
  const view: Handler = async (req, res, next) => {
    const r = await resolveViewer(req, res, sessions, deps.keys);
    if (r.kind === 'viewer') {
      res.locals.viewer = { ...r.viewer, parts: deps.campaigns ? ['campaigns'] : [] };
      return next();
    }
    if (r.kind === 'sign-in') return res.redirect(303, `${BASE}/sign-in?next=${encodeURIComponent(req.originalUrl)}`);
    res.status(403).type('html').send(barePage('Protected mode', html`<p>${PROTECTED_MODE_MESSAGE}</p>`).value);
  };
  /** Every POST: the session's CSRF token first, then a viewer. */
  const csrf: Handler = (req, res, next) => {
    // The CSV upload is multipart: its handler reads the token from the form before the file (pages/campaigns.ts).
    if (req.path === '/campaigns/import' && req.is('multipart/form-data')) return next();
    const session = sessions.ensure(req, res);
    const sent = (req.body as Record<string, unknown> | undefined)?._csrf ?? req.get('x-csrf-token');
    if (!csrfValid(session, sent)) {
      res.status(403).type('html').send(barePage('Forbidden', html`<p>The form's security token is missing or out of date. Go back, reload the page and try again.</p>`).value);
      return;
    }
    next();
  };
  /** An action needs the same role as the API route doing it; refused with 403 otherwise, whatever the page showed. */
  const allow = (access: Access): Handler => (req, res, next) => {
    if (may(viewerOf(res).principal, access)) return next();
    res.status(403).type('html').send(barePage('Forbidden', html`<p>A ${viewerOf(res).principal.role} key may not do this; it needs the ${access} role.</p>`).value);
  };
  const timing: Handler = (_req, res, next) => {
    const started = process.hrtime.bigint();
    const write = res.writeHead;
    // Server time of every page, for the operator's devtools and the speed test.
    res.writeHead = function (this: Response, ...args: Parameters<Response['writeHead']>) {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (!this.headersSent && !this.getHeader('content-type')?.toString().startsWith('text/event-stream')) this.setHeader('Server-Timing', `app;dur=${ms.toFixed(1)}`);
      return write.apply(this, args);
    } as Response['writeHead'];
    next();
  };

  const pages = express.Router();
  pages.use(timing, security, ...parse);
  pages.use('/assets/uplot', express.static(path.dirname(require.resolve('uplot')), { maxAge: '1d', index: false }));
  pages.use('/assets', express.static(assetsDir(), { maxAge: 0, index: false }));
  pages.post('/{*rest}', csrf);
  signInRoutes(pages, { sessions, keys: deps.keys });
  pages.use(view);
  const ctx = { deps, allow };
  pages.get('/', overviewPage(ctx));
  notificationPages(pages, ctx);
  providerPages(pages, ctx);
  usagePages(pages, ctx);
  logPages(pages, ctx);
  searchPages(pages, ctx);
  campaignPages(pages, ctx);
  eventRoutes(pages, ctx);
  pages.use((req: Request) => {
    throw new NotFoundError('page', req.path);
  });
  pages.use((err: unknown, req: Request, res: Response, next: express.NextFunction) => {
    if (res.headersSent) return next(err);
    const status = err instanceof NotFoundError ? 404 : err instanceof HeraldError ? 422 : 500;
    if (status === 500) deps.logger.error('dashboard page failed', { path: req.path, error: (err as Error).message });
    const text = status === 500 ? 'Something went wrong on the server; the log has the details.' : (err as Error).message;
    res.status(status).type('html').send(barePage(status === 404 ? 'Not found' : 'Cannot show this', html`<p>${text}</p><p><a href="/">Back to the overview</a></p>`).value);
  });

  const router = express.Router();
  router.use(BASE, pages);
  // `/` is the overview for a browser; API clients (JSON preferred, or anything else) get the index of links.
  // A middleware, not router.get('/'): the router would answer OPTIONS / itself, where the API answers 405.
  router.use((req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.path !== '/' || !prefersHtml(req)) return next();
    pages(req, res, next);
  });
  return router;
}

export { ASSETS };
