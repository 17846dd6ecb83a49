// Dashboard sessions: a random server-side id in an HttpOnly, SameSite=Strict cookie (Secure behind
// HTTPS), the API key it signed in with kept only in this process's memory and checked again on
// every request (a revoked key ends the session), and one CSRF token per session for every form.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { decideAccess, isLocalClient, LOCAL_PRINCIPAL, type Access } from '../access';
import type { KeyService, Principal } from '../../services/tenancy/keys';

export const SESSION_COOKIE = 'herald_session';
/** A session unused this long is forgotten. */
const IDLE_MS = 8 * 3_600_000;
/** Sessions kept at most (the oldest go first): memory stays bounded whatever a client does. */
const MAX_SESSIONS = 10_000;

export interface Session {
  id: string;
  csrf: string;
  /** The API key signed in with; absent for a visitor who has not signed in. */
  key?: string;
  /** One message shown on the next page (after a redirect). */
  flash?: { kind: 'ok' | 'error'; text: string };
  seenAt: number;
}

/** Who is looking at the dashboard, as the page and the action handlers need it. */
export interface Viewer {
  session: Session;
  principal: Principal;
  /** Signed in with a key (false: this machine in protected mode, no key needed). */
  signedIn: boolean;
  /** Optional parts this process serves (their pages appear in the navigation). */
  parts?: Array<'campaigns'>;
}

const token = (): string => randomBytes(32).toString('base64url');

export function createSessions(now: () => number = Date.now) {
  const sessions = new Map<string, Session>();

  function sweep(): void {
    const t = now();
    for (const [id, s] of sessions) if (t - s.seenAt > IDLE_MS) sessions.delete(id);
    while (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value as string);
  }

  function setCookie(req: Request, res: Response, id: string): void {
    const secure = req.secure || String(req.get('x-forwarded-proto') ?? '').split(',')[0].trim() === 'https';
    res.cookie(SESSION_COOKIE, id, { httpOnly: true, sameSite: 'strict', secure, path: '/' });
  }

  function create(req: Request, res: Response, key?: string): Session {
    sweep();
    const s: Session = { id: token(), csrf: token(), seenAt: now(), ...(key ? { key } : {}) };
    sessions.set(s.id, s);
    setCookie(req, res, s.id);
    return s;
  }

  return {
    /** The request's session, or a new one (with its cookie set on the response). */
    ensure(req: Request, res: Response): Session {
      const id = (req.cookies as Record<string, string> | undefined)?.[SESSION_COOKIE];
      const s = id ? sessions.get(id) : undefined;
      if (s && now() - s.seenAt <= IDLE_MS) {
        s.seenAt = now();
        return s;
      }
      if (s) sessions.delete(s.id);
      return create(req, res);
    },
    /** A new session id for a sign-in (the visitor's old id is dropped: no fixation). */
    signIn(req: Request, res: Response, old: Session, key: string): Session {
      sessions.delete(old.id);
      return create(req, res, key);
    },
    signOut(res: Response, s: Session): void {
      sessions.delete(s.id);
      res.clearCookie(SESSION_COOKIE, { path: '/' });
    },
    size: () => sessions.size,
  };
}

export type Sessions = ReturnType<typeof createSessions>;

/** The token sent back with a form equals the session's (compared in constant time). */
export function csrfValid(s: Session, sent: unknown): boolean {
  if (typeof sent !== 'string' || sent.length === 0) return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(s.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}

export type Resolution = { kind: 'viewer'; viewer: Viewer } | { kind: 'sign-in'; session: Session } | { kind: 'protected'; session: Session };

/**
 * A session signed in with a key that is still valid is that key's principal; without one, this
 * machine in protected mode (no key exists yet) is the local admin, exactly as the API decides.
 */
export async function resolveViewer(req: Request, res: Response, sessions: Sessions, keys: KeyService): Promise<Resolution> {
  const session = sessions.ensure(req, res);
  if (session.key) {
    const principal = await keys.authenticate(session.key);
    if (principal) return { kind: 'viewer', viewer: { session, principal, signedIn: true } };
    delete session.key;
  }
  if (await keys.anyKeyExists()) return { kind: 'sign-in', session };
  if (isLocalClient(req)) return { kind: 'viewer', viewer: { session, principal: LOCAL_PRINCIPAL, signedIn: false } };
  return { kind: 'protected', session };
}

/** The same role rule as the API's gate (access.ts): may this principal do what a route of `access` does? */
export function may(principal: Principal, access: Access): boolean {
  return decideAccess({ access, credential: { kind: 'key', principal }, keysExist: true, loopback: false }).ok;
}

export const viewerOf = (res: Response): Viewer => res.locals.viewer as Viewer;

export type Handler = (req: Request, res: Response, next: NextFunction) => Promise<void> | void;
