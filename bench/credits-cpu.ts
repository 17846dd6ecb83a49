// CPU each credits store call costs per message, in the batch sizes metering uses: a reserve per
// fan-out batch (500), a charge per settle flush (~300 ids), a refund: the store side of metering.
// Run: npx tsx bench/credits-cpu.ts [messages] [--sqlite]   (a diagnostic, not part of npm run bench)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { uniqueMongoUri } from '../test/support/services';
import { cpuSeconds, servicePids } from './cpu';
import { createMongoStore } from '../src/store/mongo';
import { createSqliteStore } from '../src/store/sqlite';
import type { Store } from '../src/store/store';

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 20_000);
  const sqlite = process.argv.includes('--sqlite');
  const mongo = sqlite ? undefined : servicePids().mongo;
  const dir = sqlite ? fs.mkdtempSync(path.join(os.tmpdir(), 'herald-credits-cpu-')) : '';
  const store: Store = sqlite ? createSqliteStore(path.join(dir, 'herald.db')) : createMongoStore(uniqueMongoUri('herald_credits_cpu'));
  await store.connect();
  const ids = Array.from({ length: n }, (_, i) => `n:u${i}:sms`);
  const chunks = (size: number) => Array.from({ length: Math.ceil(n / size) }, (_, k) => ids.slice(k * size, (k + 1) * size));
  const rows: Record<string, string> = {};
  const measure = async (name: string, count: number, fn: () => Promise<unknown>) => {
    const [c0, p0, t0] = [mongo ? cpuSeconds(mongo) : 0, process.cpuUsage(), Date.now()];
    await fn();
    const p1 = process.cpuUsage(p0);
    rows[name] = `${mongo ? `server ${(((cpuSeconds(mongo) - c0) * 1e6) / count).toFixed(0)} µs, ` : ''}client ${((p1.user + p1.system) / count).toFixed(0)} µs, ${(((Date.now() - t0) * 1000) / count).toFixed(0)} µs wall /msg`;
  };
  try {
    await store.credits.open('default', { balance: 1_000_000_000 });
    await measure('reserve (500)', n, async () => {
      for (const c of chunks(500)) await store.credits.reserve('default', c.map((id) => ({ messageId: id, notificationId: 'n', cost: 100 })));
    });
    const sweeps = 10;
    await measure(`one sweep (findHeld + settlePending) over ${n} held entries, per entry`, n, async () => {
      for (let i = 0; i < sweeps; i++) {
        await store.credits.settlePending(new Date(Date.now() - 30_000));
        await store.credits.findHeld(new Date(Date.now() - 60_000), 500);
      }
    });
    rows[`one sweep (findHeld + settlePending) over ${n} held entries, per entry`] += ` (x${sweeps})`;
    const toCharge = ids.slice(0, Math.floor(n * 0.9));
    await measure('charge (300)', toCharge.length, async () => {
      for (let i = 0; i < toCharge.length; i += 300) await store.credits.charge(toCharge.slice(i, i + 300));
    });
    const toRefund = ids.slice(toCharge.length);
    await measure('refund (300)', toRefund.length, async () => {
      for (let i = 0; i < toRefund.length; i += 300) await store.credits.refund(toRefund.slice(i, i + 300));
    });
    const [sum, acc, reserved] = [await store.credits.ledgerSum('default'), await store.credits.get('default'), await store.credits.reserved('default')];
    console.log(`${n} messages, ${sqlite ? 'SQLite' : 'MongoDB'}; ledger sum ${sum} = balance ${acc?.balance}: ${sum === acc?.balance}; reserved ${reserved}`);
    console.table(rows);
  } finally {
    if (!sqlite) await (store as unknown as { dropDatabase(): Promise<void> }).dropDatabase?.();
    await store.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
