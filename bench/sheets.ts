// Google Sheets export of 100,000 events: published to the `sheets` queue on RabbitMQ, staged by
// the exporter in a SQLite store, appended in batches to the local fake of the Sheets v4 API
// (real googleapis, real JWT token exchange). Reports rows per second, the calls made, and
// what was lost or duplicated in the sheet.
// Alone: `npx tsx bench/sheets.ts [--events 100000] [--batch 500]` (also a phase of `npm run bench`).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAmqpBus } from '../src/bus/amqp';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/log/logger';
import { createSheetsExporter, sheetEventBody } from '../src/services/sheets';
import { createSqliteStore } from '../src/store/sqlite';
import { makeServiceAccountKey, startFakeSheets } from '../test/support/fake-sheets';
import { disposeInstallation } from '../test/support/herald';
import { AMQP_URL, uniqueName } from '../test/support/services';

export interface SheetsBenchResult {
  events: number;
  batchRows: number;
  /** From the first publish to the last row confirmed in the sheet. */
  seconds: number;
  rowsPerS: number;
  publishS: number;
  calls: { append: number; get: number; update: number; token: number };
  rowsInSheet: number;
  lost: number;
  duplicated: number;
}

export async function sheetsBench(opts: { events: number; batchRows?: number; say: (s: string) => void; timeoutMs?: number }): Promise<SheetsBenchResult> {
  const batchRows = opts.batchRows ?? 500;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-bench-sheets-'));
  const prefix = uniqueName('bench-sheets');
  const fake = await startFakeSheets();
  const store = createSqliteStore(path.join(dir, 'herald.db'));
  const bus = createAmqpBus({ url: AMQP_URL, prefix });
  const logger = createLogger('bench-sheets', { level: 'error', silent: true });
  try {
    await store.connect();
    await bus.connect();
    const sa = makeServiceAccountKey(dir, 'bench', fake);
    fake.createSpreadsheet('bench-book', ['Events'], [sa.clientEmail]);
    await store.programs.create('default', { id: 'shop', name: 'Shop' });
    await store.sheetExports.create({ id: 'exp_bench', workspaceId: 'default', programId: 'shop', spreadsheetId: 'bench-book', sheetName: 'Events', keyFile: sa.file });
    const config = loadConfig({}, { 'sheets.googleApiRoot': fake.root, 'sheets.batchRows': batchRows, 'sheets.sweepMs': 1000 });
    const exporter = createSheetsExporter({ store, config, logger });
    const consumer = await bus.consume('sheets', (d) => exporter.handle(d), { prefetch: 500 });
    exporter.start();

    const t0 = Date.now();
    const at = Date.UTC(2030, 0, 1);
    const CHUNK = 500;
    for (let i = 0; i < opts.events; i += CHUNK) {
      const n = Math.min(CHUNK, opts.events - i);
      await Promise.all(
        Array.from({ length: n }, (_, k) => {
          const j = i + k;
          const e = { id: `ev-${String(j).padStart(7, '0')}`, workspaceId: 'default', programId: 'shop', eventTypeId: j % 5 ? 'order' : 'refund', createdAt: new Date(at + j), data: { order: { id: `o-${j}`, total: j % 997 }, customer: { name: `Customer ${j % 5000}` } } };
          return bus.publish('sheets', sheetEventBody(e), { messageId: e.id });
        }),
      );
    }
    const publishS = (Date.now() - t0) / 1000;
    opts.say(`  published ${opts.events} events in ${publishS.toFixed(1)} s`);
    const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
    let last = -1;
    for (;;) {
      const t = await store.sheetExports.get('exp_bench');
      if (t && t.rowsExported >= opts.events) break;
      if (Date.now() > deadline) throw new Error(`sheets bench: ${t?.rowsExported ?? 0} of ${opts.events} rows after the time limit`);
      if (t && Math.floor(t.rowsExported / 20_000) !== last) {
        last = Math.floor(t.rowsExported / 20_000);
        opts.say(`  ${t.rowsExported} rows confirmed after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (Date.now() - t0) / 1000;
    await consumer.cancel();
    await exporter.stop();
    const ids = fake.rows('bench-book', 'Events').slice(1).map((r) => String(r[0]));
    const unique = new Set(ids);
    const count = (kind: string) => fake.calls.filter((c) => c.kind === kind).length;
    return {
      events: opts.events,
      batchRows,
      seconds,
      rowsPerS: opts.events / seconds,
      publishS,
      calls: { append: count('append'), get: count('get'), update: count('update'), token: fake.tokens.length },
      rowsInSheet: ids.length,
      lost: opts.events - unique.size,
      duplicated: ids.length - unique.size,
    };
  } finally {
    await bus.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    await fake.close();
    await disposeInstallation(AMQP_URL, prefix, undefined).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const flag = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const say = (s: string) => process.stdout.write(`${s}\n`);
  sheetsBench({ events: Number(flag('events') ?? 100_000), batchRows: Number(flag('batch') ?? 500), say }).then(
    (r) => {
      say(JSON.stringify(r, null, 2));
      process.exit(0);
    },
    (e: unknown) => {
      process.stderr.write(`bench sheets: ${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
