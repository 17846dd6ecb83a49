// ms a call of two MongoDB reads by id lists on the test server: `contactLists.membersAfter` (batches of 500 of a
// list of 2,000 among 10,000 contacts) and `messages.extendLeases` (200 leases among 5,000 messages).
//   flock /work/bench.lock npx tsx bench/id-lists.ts [checkout=this one]
// Give another checkout's root to time its store in the same way (alternate the two for an A/B).
import path from 'node:path';
import type { NewMessage, Store } from '../src/store/store';
import { uniqueMongoUri } from '../test/support/services';

async function seed(store: Store): Promise<Array<{ id: string; attempts: number }>> {
  const ids = Array.from({ length: 10_000 }, (_, i) => `2547${String(i).padStart(8, '0')}`);
  for (let i = 0; i < ids.length; i += 1000) await store.campaigns.addContacts('w1', ids.slice(i, i + 1000).map((id) => ({ id, phone: `+${id}` })));
  await store.contactLists.create({ workspaceId: 'w1', id: 'l1', name: 'a' });
  await store.contactLists.addMembers('w1', 'l1', ids.slice(0, 2000));
  const now = new Date();
  const msgs: NewMessage[] = Array.from({ length: 5000 }, (_, i) => ({
    id: `n1:l${i}:sms`, workspaceId: 'w1', notificationId: 'n1', programId: 'p1', eventTypeId: 'e1', userId: `l${i}`, channel: 'sms', to: '+254700000001',
    content: { text: 'Hello' }, sms: { encoding: 'GSM-7', segments: 1, parts: ['Hello'] }, status: 'sending', statusHistory: [{ status: 'sending', at: now }],
    validUntil: new Date(now.getTime() + 3_600_000), attempts: 1, leaseUntil: now,
  }));
  for (let i = 0; i < msgs.length; i += 1000) await store.messages.insertMany(msgs.slice(i, i + 1000));
  return msgs.slice(0, 200).map((m) => ({ id: m.id, attempts: 1 }));
}

async function walkList(store: Store): Promise<void> {
  let after: string | undefined;
  for (;;) {
    const batch = await store.contactLists.membersAfter('w1', 'l1', after, 500);
    if (batch.length === 0) return;
    after = batch[batch.length - 1].id;
  }
}

async function main(): Promise<void> {
  const root = path.resolve(process.argv[2] ?? path.join(__dirname, '..'));
  const { createMongoStore } = require(path.join(root, 'src/store/mongo')) as { createMongoStore: (uri: string) => Store & { dropDatabase(): Promise<void> } };
  const store = createMongoStore(uniqueMongoUri('herald_idlists'));
  await store.connect();
  try {
    const leases = await seed(store);
    for (let w = 0; w < 3; w++) {
      await walkList(store);
      await store.messages.extendLeases(leases, new Date());
    }
    let t = process.hrtime.bigint();
    for (let i = 0; i < 5; i++) await walkList(store);
    const members = Number(process.hrtime.bigint() - t) / 1e6 / 20; // 5 walks of 4 batches
    t = process.hrtime.bigint();
    for (let i = 0; i < 30; i++) await store.messages.extendLeases(leases, new Date(Date.now() + 60_000));
    const lease = Number(process.hrtime.bigint() - t) / 1e6 / 30;
    console.log(JSON.stringify({ root, membersAfter500Ms: +members.toFixed(2), extendLeases200Ms: +lease.toFixed(2) }));
  } finally {
    await store.dropDatabase();
    await store.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
