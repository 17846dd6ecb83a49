// Sign-in with an API key (the key stays on the server, in the session), and sign-out.
import type { Request, Response, Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { KeyService } from '../../../services/tenancy/keys';
import { html } from '../html';
import { BASE, barePage } from '../layout';
import type { Session, Sessions } from '../session';

/** Only a path of this site: never an absolute URL an attacker could hand in `next`. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}

function form(session: Session, next: string, error?: string) {
  return barePage(
    'Sign in to Herald',
    html`${error ? html`<p class="flash error" role="alert" id="sign-in-error">${error}</p>` : ''}
<form method="post" action="${BASE}/sign-in" class="sign-in">
  <input type="hidden" name="_csrf" value="${session.csrf}">
  <input type="hidden" name="next" value="${next}">
  <label for="key">API key</label>
  <input id="key" name="key" type="password" autocomplete="current-password" required spellcheck="false"${error ? html` aria-describedby="sign-in-error" aria-invalid="true"` : ''}>
  <p class="muted">A key from <code>herald keys create</code> or HERALD_ADMIN_KEY. A viewer key shows everything and changes nothing.</p>
  <button type="submit">Sign in</button>
</form>`,
  );
}

/** Wrong keys a client may try per minute before sign-in answers 429 for the rest of the minute. */
export const FAILED_SIGN_INS_PER_MINUTE = 10;

export function signInRoutes(r: Router, deps: { sessions: Sessions; keys: KeyService }): void {
  const { sessions, keys } = deps;
  // Guessing keys is slow: only failed attempts count, per client address, in this process.
  const throttle = rateLimit({
    windowMs: 60_000,
    limit: FAILED_SIGN_INS_PER_MINUTE,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (req, res) => {
      res.status(429).type('html').send(form(sessions.ensure(req, res), safeNext((req.body as Record<string, unknown> | undefined)?.next), 'Too many wrong keys from this address: wait a minute, then try again.').value);
    },
  });
  r.get('/sign-in', (req: Request, res: Response) => {
    const session = sessions.ensure(req, res);
    res.type('html').send(form(session, safeNext(req.query.next)).value);
  });
  // The CSRF check ran before (every POST): a key is taken only from a form this site served.
  r.post('/sign-in', throttle, async (req: Request, res: Response) => {
    const session = sessions.ensure(req, res);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const key = typeof body.key === 'string' ? body.key.trim() : '';
    const next = safeNext(body.next);
    const principal = key ? await keys.authenticate(key) : null;
    if (!principal) {
      res.status(401).type('html').send(form(session, next, 'That API key is not valid (unknown, revoked or mistyped).').value);
      return;
    }
    sessions.signIn(req, res, session, key);
    res.redirect(303, next);
  });
  r.post('/sign-out', (req: Request, res: Response) => {
    sessions.signOut(res, sessions.ensure(req, res));
    res.redirect(303, `${BASE}/sign-in`);
  });
}
