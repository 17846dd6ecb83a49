// The sheets feeds believe "this program has (no) targets" for a while, but a target made in this
// process is seen at once (targetsChanged). A read of the targets that began before the target was
// made and answers after it must not be believed afterwards: the events (and outcomes) of that
// program would not reach the new sheet for the whole cache time, and nothing stages them later.
import type { MessageChange } from '../../src/services/usage/observe-messages';
import { createOutcomeFeed, createSheetsFeed } from '../../src/services/sheets';
import { targetsChanged } from '../../src/services/sheets/feed';

const turns = async (n = 10) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

/** A store whose first targets read answers what existed when it was called, once `release` is called. */
function fakeStore() {
  const targets: Array<{ id: string }> = [];
  let release: (() => void) | undefined;
  let reads = 0;
  const store = {
    notifications: { get: async () => null },
    sheetExports: {
      list: async () => {
        const answer = [...targets];
        if (++reads === 1) await new Promise<void>((r) => (release = r));
        return answer;
      },
    },
  };
  return {
    store: store as never,
    targets,
    release: async () => {
      while (!release) await turns(1);
      release();
      await turns();
    },
  };
}

const at = new Date('2030-01-01T10:00:00Z');
const notification = (id: string) => ({ id, workspaceId: 'default', programId: 'p1', eventTypeId: 'e1', createdAt: at, data: {} }) as never;
const sent = (id: string): MessageChange => ({
  before: 'sending',
  message: {
    id, workspaceId: 'default', notificationId: 'n1', programId: 'p1', eventTypeId: 'e1', userId: 'u1', channel: 'sms', to: '+254700000001',
    content: { text: 'hi' }, status: 'sent', statusHistory: [{ status: 'sent', at }], validUntil: at, attempts: 1,
  } as never,
});

describe('sheets feeds and a target made while they read', () => {
  it('the events feed publishes the next event of the program', async () => {
    const s = fakeStore();
    const published: unknown[] = [];
    const feed = createSheetsFeed({ store: s.store, bus: { publish: async (_q: string, body: unknown) => void published.push(body) } as never });
    try {
      const first = feed.fromDispatch({ notificationId: 'n1' }, notification('n1'));
      await turns(2);
      // The target is made (and announced) while the read of the first event is under way.
      s.targets.push({ id: 't1' });
      targetsChanged();
      await s.release();
      await first;
      await feed.fromDispatch({ notificationId: 'n2' }, notification('n2'));
      expect(published).toHaveLength(1);
    } finally {
      feed.close();
    }
  });

  it('the outcome feed publishes the next outcome of the program', async () => {
    const s = fakeStore();
    const published: unknown[] = [];
    const feed = createOutcomeFeed({ store: s.store, bus: { publish: async (_q: string, body: unknown) => void published.push(body) } as never, logger: { warn() {} } as never });
    try {
      feed.listener([sent('m1')]);
      await turns(2);
      s.targets.push({ id: 't1-outcomes' });
      targetsChanged();
      await s.release();
      feed.listener([sent('m2')]);
      await turns();
      expect(published).toHaveLength(1);
    } finally {
      feed.close();
    }
  });
});
