// API keys: generated once, shown once, stored as a sha256 hash; a presented key is checked in
// constant time against the hash of the key its id names (or the configured bootstrap admin key).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { NotFoundError } from '../../domain/errors';
import { DEFAULT_WORKSPACE, type ApiKey, type Page, type PageQuery, type Role } from '../../domain/types';
import type { Store } from '../../store/store';

/** Who is calling: a key's workspace and role. keyId is null for callers without a key (loopback in protected mode). */
export interface Principal {
  workspaceId: string;
  role: Role;
  keyId: string | null;
}

/** The bootstrap admin key's id in lists, logs and rate limits. */
export const ADMIN_KEY_ID = 'admin';
const KEY_PATTERN = /^hk_([0-9a-f]{12})_[A-Za-z0-9_-]{32}$/;
/** A used key's lastUsedAt is written at most this often (it is not worth a write per request). */
const TOUCH_EVERY_MS = 60_000;
/** How long "does any key exist" is trusted before asking the store again (other processes create keys). */
const KEYS_EXIST_TTL_MS = 2_000;

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Equal hashes, compared in constant time. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `hk_<id>_<secret>`: the id finds the record, the whole key is what is hashed. */
export function generateKey(): { id: string; key: string; prefix: string } {
  const id = randomBytes(6).toString('hex');
  const key = `hk_${id}_${randomBytes(24).toString('base64url')}`;
  return { id, key, prefix: key.slice(0, 20) };
}

/** A key as the API lists it: never its hash. */
export type KeyView = Omit<ApiKey, 'hash'>;
export const keyView = ({ hash: _hash, ...rest }: ApiKey): KeyView => rest;

export interface KeyServiceDeps {
  store: Store;
  config: { auth: { adminKey?: string } };
  now?: () => Date;
}

export function createKeyService(deps: KeyServiceDeps) {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());
  const adminHash = deps.config.auth.adminKey ? hashKey(deps.config.auth.adminKey) : undefined;
  let keysExist: { value: boolean; at: number } | undefined;
  const lastTouched = new Map<string, number>();

  async function mustHaveWorkspace(ws: string): Promise<void> {
    if (!(await store.workspaces.get(ws))) throw new NotFoundError('workspace', ws);
  }

  function touch(id: string): void {
    const t = now().getTime();
    if (t - (lastTouched.get(id) ?? 0) < TOUCH_EVERY_MS) return;
    lastTouched.set(id, t);
    void store.apiKeys.touch(id, new Date(t)).catch(() => undefined); // a missed touch only ages lastUsedAt
  }

  return {
    async create(ws: string, role: Role, name: string): Promise<{ record: KeyView; key: string }> {
      await mustHaveWorkspace(ws);
      const { id, key, prefix } = generateKey();
      const record = await store.apiKeys.create({ id, workspaceId: ws, role, name, prefix, hash: hashKey(key) });
      keysExist = { value: true, at: now().getTime() };
      return { record: keyView(record), key };
    },

    async list(ws: string, q: PageQuery): Promise<Page<KeyView>> {
      await mustHaveWorkspace(ws);
      const page = await store.apiKeys.list(ws, q);
      return { ...page, items: page.items.map(keyView) };
    },

    async revoke(ws: string, id: string): Promise<KeyView> {
      const k = await store.apiKeys.revoke(ws, id, now());
      if (!k) throw new NotFoundError('key', id);
      keysExist = undefined;
      return keyView(k);
    },

    /** The caller a presented key stands for; null when it is malformed, unknown or revoked. */
    async authenticate(presented: string): Promise<Principal | null> {
      const hash = hashKey(presented);
      if (adminHash && sameHash(hash, adminHash)) return { workspaceId: DEFAULT_WORKSPACE, role: 'admin', keyId: ADMIN_KEY_ID };
      const id = KEY_PATTERN.exec(presented)?.[1];
      if (!id) return null;
      const k = await store.apiKeys.get(id);
      if (!k || k.revokedAt || !sameHash(hash, k.hash)) return null;
      touch(k.id);
      return { workspaceId: k.workspaceId, role: k.role, keyId: k.id };
    },

    /** False only while no admin key is configured and no key was ever created or all are revoked: protected mode. */
    async anyKeyExists(): Promise<boolean> {
      if (adminHash) return true;
      const t = now().getTime();
      if (keysExist && t - keysExist.at < KEYS_EXIST_TTL_MS) return keysExist.value;
      keysExist = { value: (await store.apiKeys.countActive()) > 0, at: t };
      return keysExist.value;
    },
  };
}

export type KeyService = ReturnType<typeof createKeyService>;
