// Run by test/integration/usage.recipient-large.test.ts in a process of its own, with a small heap:
// opens the SQLite file named in argv[2] and prints one recipient's hourly usage (argv[3], over the
// 40 days before now) as JSON. A read that holds every message of the recipient at once dies here.
import { createSqliteStore } from '../../src/store/sqlite';

async function main(): Promise<void> {
  const store = createSqliteStore(process.argv[2]);
  await store.connect();
  const now = Date.now();
  const hours = await store.usage.hourly({ workspaceId: 'default', dimension: 'user', key: process.argv[3], from: new Date(now - 40 * 86_400_000), to: new Date(now + 3_600_000) });
  process.stdout.write(JSON.stringify(hours));
  await store.close();
}
main().catch((e: unknown) => {
  process.stderr.write(String((e as Error).stack ?? e));
  process.exit(1);
});
