// Two "servers" (fan-out batches) and four "workers" (single reservations and refunds), each a
// process of its own on one store, spend one balance at once: it never goes below zero, and the
// ledger accounts for every milli-credit. On the SQLite file and on MongoDB.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createStore } from '../../src/store';
import type { Store } from '../../src/store/store';
import { tempDir } from '../support/herald';
import { requireServices, uniqueMongoUri } from '../support/services';
import type { MongoStore } from '../../src/store/mongo';

const SPENDER = `
const { createStore } = require(${JSON.stringify(path.resolve(__dirname, '../../src/store'))});
const [target, role, name] = process.argv.slice(1);
const store = createStore(target.startsWith('mongodb') ? { mongodbUri: target, sqliteFile: '' } : { sqliteFile: target });
(async () => {
  await store.connect();
  process.stdout.write('ready\\n');
  await new Promise((r) => process.stdin.once('data', r));
  const covered = [];
  let refunded = 0;
  for (let b = 0; b < 20; b++) {
    const size = role === 'server' ? 10 : 1;
    const items = Array.from({ length: size }, (_, i) => ({ messageId: name + ':' + b + ':' + i, notificationId: name, cost: 100 }));
    const got = await store.credits.reserve('w', items);
    covered.push(...got);
    // Workers end every third message they took unsent: its refund races the other spenders.
    if (role === 'worker' && got.length && b % 3 === 0) refunded += (await store.credits.refund(got)).length;
    else if (got.length) await store.credits.charge(got);
  }
  process.stdout.write(JSON.stringify({ covered: covered.length, asked: role === 'server' ? 200 : 20, refunded }) + '\\n');
  await store.close();
})().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
`;

interface Outcome {
  covered: number;
  asked: number;
  refunded: number;
}

/** A spender process: `ready` once connected; it starts on `go` (a line on its stdin). */
function spender(target: string, role: 'server' | 'worker', name: string, ready: () => void): { go(): void; done: Promise<Outcome> } {
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', SPENDER, target, role, name], { stdio: ['pipe', 'pipe', 'pipe'] });
  const done = new Promise<Outcome>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('ready\n')) ready();
    });
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as Outcome);
      else reject(new Error(`spender ${name} exited ${code}: ${err}`));
    });
  });
  return { go: () => child.stdin.end('go\n'), done };
}

describe.each(['sqlite', 'mongo'] as const)('credits spent by six processes at once (%s)', (kind) => {
  let store: Store;
  let target: string;

  beforeAll(async () => {
    if (kind === 'mongo') await requireServices(['mongo']);
    target = kind === 'mongo' ? uniqueMongoUri('herald_credits') : path.join(tempDir(), 'herald.db');
    store = createStore(kind === 'mongo' ? { mongodbUri: target, sqliteFile: '' } : { sqliteFile: target });
    await store.connect();
  });
  afterAll(async () => {
    if (kind === 'mongo') await (store as MongoStore).dropDatabase();
    await store.close();
  });

  it('never overspends and the ledger equals the balance', async () => {
    await store.credits.open('w', { balance: 30_000 });
    let readyCount = 0;
    let allReady: () => void = () => undefined;
    const ready = new Promise<void>((r) => (allReady = r));
    const onReady = () => ++readyCount === 6 && allReady();
    const roles = ['server', 'server', 'worker', 'worker', 'worker', 'worker'] as const;
    const spenders = roles.map((role, i) => spender(target, role, `${role}${i}`, onReady));
    await ready;
    // Everyone starts spending at the same moment, once the slowest process is up.
    spenders.forEach((s) => s.go());
    let lowest = Number.POSITIVE_INFINITY;
    const watching = setInterval(() => {
      void store.credits.get('w').then((a) => (lowest = Math.min(lowest, a?.balance ?? lowest)), () => undefined);
    }, 5);
    const outcomes = await Promise.all(spenders.map((s) => s.done));
    clearInterval(watching);

    const covered = outcomes.reduce((a, o) => a + o.covered, 0);
    const refunded = outcomes.reduce((a, o) => a + o.refunded, 0);
    const asked = outcomes.reduce((a, o) => a + o.asked, 0);
    const account = await store.credits.get('w');
    expect(lowest).toBeGreaterThanOrEqual(0);
    expect(account!.balance).toBeGreaterThanOrEqual(0);
    // More was asked than the balance held, so the limit was really contended.
    expect(asked * 100).toBeGreaterThan(30_000);
    expect(covered).toBeLessThan(asked);
    expect(covered - refunded).toBeLessThanOrEqual(300);
    expect(account!.balance).toBe(30_000 - 100 * (covered - refunded));
    expect(await store.credits.ledgerSum('w')).toBe(account!.balance);
    expect((await store.credits.ledger('w', { kind: 'reserve' }, { limit: 1, offset: 0 })).total).toBe(covered);
    expect((await store.credits.ledger('w', { kind: 'refund' }, { limit: 1, offset: 0 })).total).toBe(refunded);
  }, 90_000);
});
