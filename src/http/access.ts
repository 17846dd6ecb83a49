// Who may call a route: the bearer key's role against the route's declared access, protected
// mode while no key exists (loopback only), and keys refused anywhere but the Authorization header.
import type { Request, RequestHandler } from 'express';
import { DEFAULT_WORKSPACE, type Role } from '../domain/types';
import type { KeyService, Principal } from '../services/tenancy/keys';
import { HttpError } from './errors';

/** A route's access: the least role that may call it, or open to anyone. */
export type Access = 'open' | Role;

const RANK: Record<Role, number> = { viewer: 0, sender: 1, admin: 2 };

/** The roles that may call a route of this access (open: every caller, with or without a key). */
export function rolesFor(access: Access): Role[] {
  if (access === 'open') return ['viewer', 'sender', 'admin'];
  return (Object.keys(RANK) as Role[]).filter((r) => RANK[r] >= RANK[access]);
}

/** What the request presented: no key, a key that is not valid (unknown, revoked, malformed), or a valid one. */
export type Credential = { kind: 'none' } | { kind: 'invalid' } | { kind: 'key'; principal: Principal };

export type Decision = { ok: true; principal: Principal | null } | { ok: false; status: 401 | 403; message: string };

/** The caller on this machine while Herald has no key at all: it may do anything in the default workspace. */
export const LOCAL_PRINCIPAL: Principal = { workspaceId: DEFAULT_WORKSPACE, role: 'admin', keyId: null };

export const PROTECTED_MODE_MESSAGE =
  'Herald is in protected mode: no API key exists yet, so it answers only clients on its own machine. ' +
  'Set HERALD_ADMIN_KEY (or HERALD_ADMIN_KEY_FILE) and restart, or create a key from this machine with ' +
  '`herald keys create`, then send it as "Authorization: Bearer <key>".';

/** The whole decision, pure: tested directly with any address, without sending traffic anywhere. */
export function decideAccess(input: { access: Access; credential: Credential; keysExist: boolean; loopback: boolean }): Decision {
  const { access, credential, keysExist, loopback } = input;
  if (access === 'open') return { ok: true, principal: credential.kind === 'key' ? credential.principal : null };
  if (credential.kind === 'invalid') return { ok: false, status: 401, message: 'the API key is not valid (unknown or revoked)' };
  if (credential.kind === 'none') {
    if (keysExist) return { ok: false, status: 401, message: 'an API key is required: send "Authorization: Bearer <key>"' };
    return loopback ? { ok: true, principal: LOCAL_PRINCIPAL } : { ok: false, status: 403, message: PROTECTED_MODE_MESSAGE };
  }
  const { principal } = credential;
  if (RANK[principal.role] < RANK[access]) {
    return { ok: false, status: 403, message: `a ${principal.role} key may not do this; it needs the ${access} role or higher` };
  }
  return { ok: true, principal };
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return a === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

/** On this machine and not relayed: a reverse proxy on the same host would make every client look local. */
export function isLocalClient(req: Pick<Request, 'socket' | 'headers'>): boolean {
  return isLoopback(req.socket.remoteAddress) && req.headers['x-forwarded-for'] === undefined && req.headers.forwarded === undefined;
}

/** Query parameters that look like a key: refused, so keys never end up in URLs and access logs. */
const KEY_PARAMS = ['key', 'api_key', 'apikey', 'apiKey', 'access_token', 'token'];

function bearerToken(header: string): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
}

/** Reads the Authorization header (only there): none, a bearer key checked against the store, or invalid. */
export async function readCredential(req: Request, keys: KeyService): Promise<Credential> {
  // req.query parses the URL at every read: a URL without a query string has no key in it.
  const inQuery = req.url?.includes('?') !== false ? KEY_PARAMS.find((p) => req.query?.[p] !== undefined) : undefined;
  if (inQuery) {
    throw new HttpError(400, 'VALIDATION_FAILED', 'API keys are accepted only in the Authorization header, never in the URL', [
      { field: inQuery, reason: 'a key may not be sent in the query string; use "Authorization: Bearer <key>"' },
    ]);
  }
  const header = req.get('authorization');
  if (header === undefined || header.trim() === '') return { kind: 'none' };
  const token = bearerToken(header);
  if (!token) return { kind: 'invalid' };
  const principal = await keys.authenticate(token);
  return principal ? { kind: 'key', principal } : { kind: 'invalid' };
}

export interface Gate {
  /** Middleware for one access level: sets res.locals.principal, or answers 401/403 (with the rate limit in between). */
  (access: Access): RequestHandler[];
}

/** Authentication, the rate limit, then the decision: failed attempts count against the client's budget too. */
export function createGate(keys: KeyService, rateLimit: RequestHandler): Gate {
  const identify: RequestHandler = async (req, res, next) => {
    try {
      const credential = await readCredential(req, keys);
      const keysExist = credential.kind === 'none' ? await keys.anyKeyExists() : true;
      res.locals.credential = credential;
      res.locals.keysExist = keysExist;
      next();
    } catch (e) {
      next(e);
    }
  };
  // Open routes need no key, but one that is sent still says whose workspace the call acts in.
  const identifyIfSent: RequestHandler = async (req, res, next) => {
    try {
      const token = bearerToken(req.get('authorization') ?? '');
      res.locals.principal = token ? await keys.authenticate(token) : null;
      next();
    } catch (e) {
      next(e);
    }
  };
  return (access) => {
    if (access === 'open') return [identifyIfSent];
    const decide: RequestHandler = (req, res, next) => {
      const d = decideAccess({ access, credential: res.locals.credential, keysExist: res.locals.keysExist, loopback: isLocalClient(req) });
      if (!d.ok) {
        const headers: Record<string, string> = d.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="herald"' } : {};
        return next(new HttpError(d.status, d.status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN', d.message, [], headers));
      }
      res.locals.principal = d.principal;
      next();
    };
    return [identify, rateLimit, decide];
  };
}

/** The principal a gated handler runs for (set by the gate). */
export function principalOf(res: { locals: Record<string, unknown> }): Principal | null {
  return (res.locals.principal as Principal | undefined) ?? null;
}
