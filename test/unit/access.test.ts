// The access decision, taken by the same code the server runs, for clients of any address
// (fake requests: no traffic goes anywhere).
import type { NextFunction, Request, Response } from 'express';
import { createGate, decideAccess, isLocalClient, isLoopback, rolesFor, type Credential } from '../../src/http/access';
import type { HttpError } from '../../src/http/errors';
import type { KeyService, Principal } from '../../src/services/tenancy/keys';
import { generateKey, hashKey, sameHash } from '../../src/services/tenancy/keys';

const sender: Principal = { workspaceId: 'w', role: 'sender', keyId: 'k' };
const key = (principal: Principal): Credential => ({ kind: 'key', principal });

describe('decideAccess', () => {
  it.each([
    // access, credential, keys exist, loopback -> outcome
    ['viewer', { kind: 'none' }, false, true, 'ok'],
    ['admin', { kind: 'none' }, false, true, 'ok'],
    ['viewer', { kind: 'none' }, false, false, 403],
    ['viewer', { kind: 'none' }, true, true, 401],
    ['viewer', { kind: 'none' }, true, false, 401],
    ['viewer', { kind: 'invalid' }, false, true, 401],
    ['viewer', { kind: 'invalid' }, true, false, 401],
    ['sender', key(sender), true, false, 'ok'],
    ['admin', key(sender), true, true, 403],
    ['open', { kind: 'none' }, true, false, 'ok'],
    ['open', { kind: 'invalid' }, true, false, 'ok'],
  ] as const)('%s with %j, keys exist %s, loopback %s: %s', (access, credential, keysExist, loopback, outcome) => {
    const d = decideAccess({ access, credential: credential as Credential, keysExist, loopback });
    if (outcome === 'ok') expect(d.ok).toBe(true);
    else expect(d).toMatchObject({ ok: false, status: outcome });
  });

  it('tells a remote client in protected mode how to configure a key', () => {
    const d = decideAccess({ access: 'viewer', credential: { kind: 'none' }, keysExist: false, loopback: false });
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.message).toMatch(/HERALD_ADMIN_KEY/);
  });

  it('lists the roles of each access level', () => {
    expect(rolesFor('viewer')).toEqual(['viewer', 'sender', 'admin']);
    expect(rolesFor('sender')).toEqual(['sender', 'admin']);
    expect(rolesFor('admin')).toEqual(['admin']);
  });
});

describe('who counts as local', () => {
  it.each([
    ['127.0.0.1', true], ['127.8.9.10', true], ['::1', true], ['::ffff:127.0.0.1', true],
    ['10.0.0.5', false], ['203.0.113.9', false], ['::ffff:192.168.1.2', false], ['2001:db8::1', false], [undefined, false],
  ])('%s -> %s', (address, local) => {
    expect(isLoopback(address)).toBe(local);
  });

  it('is not a loopback request relayed by a proxy on the same machine', () => {
    expect(isLocalClient({ socket: { remoteAddress: '127.0.0.1' }, headers: {} } as Request)).toBe(true);
    expect(isLocalClient({ socket: { remoteAddress: '127.0.0.1' }, headers: { 'x-forwarded-for': '203.0.113.9' } } as unknown as Request)).toBe(false);
    expect(isLocalClient({ socket: { remoteAddress: '::1' }, headers: { forwarded: 'for=203.0.113.9' } } as unknown as Request)).toBe(false);
  });
});

describe('the gate middleware in protected mode', () => {
  const keys = { anyKeyExists: async () => false, authenticate: async () => null } as unknown as KeyService;
  const passThrough = (_req: Request, _res: Response, next: NextFunction) => next();

  /** Runs the gate's handlers on a fake request from `address`; resolves what reached `next`. */
  async function run(address: string, headers: Record<string, string> = {}, query: Record<string, string> = {}): Promise<{ error?: HttpError; locals: Record<string, unknown> }> {
    const req = { socket: { remoteAddress: address }, headers, query, get: (h: string) => headers[h.toLowerCase()] } as unknown as Request;
    const res = { locals: {} } as Response;
    for (const handler of createGate(keys, passThrough)('viewer')) {
      const error = await new Promise<unknown>((resolve) => void handler(req, res, (e?: unknown) => resolve(e)));
      if (error) return { error: error as HttpError, locals: res.locals };
    }
    return { locals: res.locals };
  }

  it('answers a remote client 403 with how to configure a key', async () => {
    const { error } = await run('203.0.113.9');
    expect(error).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect(error!.message).toMatch(/HERALD_ADMIN_KEY/);
  });

  it('lets a loopback client through as the default workspace', async () => {
    const { error, locals } = await run('127.0.0.1');
    expect(error).toBeUndefined();
    expect(locals.principal).toMatchObject({ workspaceId: 'default', role: 'admin', keyId: null });
  });

  it('refuses a key in the query string, wherever the client is', async () => {
    const { error } = await run('127.0.0.1', {}, { api_key: 'hk_x' });
    expect(error).toMatchObject({ status: 400, issues: [{ field: 'api_key' }] });
  });

  it('answers a key it does not know 401 with WWW-Authenticate: Bearer', async () => {
    const { error } = await run('127.0.0.1', { authorization: 'Bearer nope' });
    expect(error).toMatchObject({ status: 401, headers: { 'WWW-Authenticate': expect.stringMatching(/^Bearer/) } });
  });
});

describe('keys', () => {
  it('are random, hashed, and compared by hash', () => {
    const a = generateKey();
    const b = generateKey();
    expect(a.key).not.toBe(b.key);
    expect(a.key).toMatch(/^hk_[0-9a-f]{12}_[A-Za-z0-9_-]{32}$/);
    expect(a.key.startsWith(a.prefix)).toBe(true);
    expect(sameHash(hashKey(a.key), hashKey(a.key))).toBe(true);
    expect(sameHash(hashKey(a.key), hashKey(b.key))).toBe(false);
    expect(sameHash(hashKey(a.key), 'abcd')).toBe(false);
  });
});
