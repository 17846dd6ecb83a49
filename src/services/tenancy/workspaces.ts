// Workspaces: the default one always exists; new ones open a credit account when the credits
// service is wired in (balance null otherwise).
import { randomUUID } from 'node:crypto';
import { ConflictError } from '../../domain/errors';
import { DEFAULT_WORKSPACE, type Page, type PageQuery, type Workspace } from '../../domain/types';
import type { Store } from '../../store/store';

/** What workspaces need from the credits service (src/services/credits), when there is one. */
export interface WorkspaceAccounts {
  /** Opens the workspace's account with `credits` (null or absent: unmetered); resolves its balance. */
  open(workspaceId: string, credits: number | null | undefined): Promise<number | null>;
  balance(workspaceId: string): Promise<number | null>;
}

export interface WorkspaceView extends Workspace {
  /** Credits left; null when unmetered or when no credits service runs. */
  balance: number | null;
}

export async function ensureDefaultWorkspace(store: Store): Promise<Workspace> {
  return store.workspaces.ensure({ id: DEFAULT_WORKSPACE, name: 'Default' });
}

export function createWorkspaceService(deps: { store: Store; accounts?: WorkspaceAccounts }) {
  const { store, accounts } = deps;
  const withBalance = async (w: Workspace): Promise<WorkspaceView> => ({ ...w, balance: accounts ? await accounts.balance(w.id) : null });

  return {
    async create(req: { id?: string; name: string; credits?: number | null }): Promise<WorkspaceView> {
      if (req.id !== undefined && (await store.workspaces.get(req.id))) {
        throw new ConflictError(`workspace '${req.id}' already exists`, [{ field: 'id', reason: 'is already taken' }]);
      }
      const w = await store.workspaces.create({ id: req.id ?? randomUUID(), name: req.name });
      const balance = accounts ? await accounts.open(w.id, req.credits) : null;
      return { ...w, balance };
    },
    async get(id: string): Promise<WorkspaceView | null> {
      const w = await store.workspaces.get(id);
      return w ? withBalance(w) : null;
    },
    async list(q: PageQuery): Promise<Page<WorkspaceView>> {
      const page = await store.workspaces.list(q);
      return { ...page, items: await Promise.all(page.items.map(withBalance)) };
    },
  };
}

export type WorkspaceService = ReturnType<typeof createWorkspaceService>;
