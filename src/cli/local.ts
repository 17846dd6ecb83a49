// Commands that work on the local data folder and need no server: `herald seed`.
import type { HeraldConfig } from '../config';
import { createLogger } from '../log/logger';
import { openStore } from '../runtime';
import { seedDemoData } from '../runtime/seed';

export async function seedCommand(config: HeraldConfig): Promise<void> {
  const quiet = createLogger('herald-cli', { silent: true });
  const store = await openStore(config, quiet);
  try {
    await seedDemoData(store, quiet, { onlyIfEmpty: false });
    process.stdout.write('demo data loaded: program 1 "Vaccination drive", event type "1", users amina, ben, chloe, dev\n');
  } finally {
    await store.close();
  }
}
