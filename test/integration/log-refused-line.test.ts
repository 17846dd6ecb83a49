// A line the store can never write (a meta it cannot serialize, a line over MongoDB's 16 MB) is dropped
// and counted with a warning: the lines around it are stored, in order, once. A store that is down
// keeps its lines for later. Each store refuses different values: SQLite's JSON a BigInt or a cycle,
// MongoDB's BSON a cycle or a document over 16 MB (its batch command too: a buffer after an outage).
import { loadConfig } from '../../src/config';
import { StoreUnavailableError } from '../../src/domain/errors';
import type { LogLine } from '../../src/domain/types';
import { createLogger, StoreLogTransport } from '../../src/log/logger';
import { openStore } from '../../src/runtime/parts';
import type { Store } from '../../src/store';
import { requireServices, uniqueMongoUri } from '../support/services';

jest.setTimeout(60_000);
const line = (message: string, meta?: Record<string, unknown>): LogLine => ({ time: new Date(), level: 'info', process: 'refused-test', message, meta });
const circular = (): Record<string, unknown> => {
  const o: Record<string, unknown> = { a: 1 };
  o.self = o;
  return o;
};

describe.each(['sqlite', 'mongo'] as const)('a line the %s store refuses', (kind) => {
  let store: Store;
  beforeAll(async () => {
    if (kind === 'mongo') await requireServices(['mongo']);
    const config =
      kind === 'mongo'
        ? loadConfig({}, { mongodbUri: uniqueMongoUri('herald_refused'), dataDir: '/tmp', seedDemoData: 'never' })
        : loadConfig({}, { dataDir: `/tmp/herald-refused-${process.pid}-${Date.now()}`, seedDemoData: 'never' });
    store = await openStore(config, createLogger('test', { silent: true }));
  });
  afterAll(async () => store?.close());

  const stored = async (process = 'refused-test') => (await store.logs.query({ process, limit: 1000 })).map((l) => l.message);
  const refusedMeta = kind === 'sqlite' ? { n: 10n } : { big: 'x'.repeat(17 * 1024 * 1024) };

  it('is dropped with one warning; the lines before and after it are stored once, in order', async () => {
    const warnings: string[] = [];
    const sink = new StoreLogTransport(store.logs, { flushMs: 10, warn: (m) => warnings.push(m) });
    const lines = Array.from({ length: 100 }, (_, i) => line(`line ${i}`, i === 70 ? refusedMeta : i === 30 ? { c: circular() } : { i }));
    for (const l of lines) sink.pushLine(l);
    await sink.flush();
    sink.pushLine(line('after'));
    await sink.flush();
    const expected = lines.map((l) => l.message).filter((m) => m !== 'line 70' && m !== 'line 30');
    expect(await stored()).toEqual([...expected, 'after']);
    expect(sink.dropped).toBe(2);
    expect(warnings).toHaveLength(1);
    sink.close();
  });

  it('a buffer too big for one write is written in parts', async () => {
    const sink = new StoreLogTransport(store.logs, { flushMs: 10 });
    const lines = Array.from({ length: 20 }, (_, i) => line(`mb ${i}`, { i }));
    for (const l of lines) l.message += ' ' + 'z'.repeat(1024 * 1024);
    for (const l of lines) sink.pushLine({ ...l, process: 'refused-big' });
    await sink.flush();
    expect((await stored('refused-big')).map((m) => m.slice(0, 6).trim())).toEqual(lines.map((l) => l.message.slice(0, 6).trim()));
    expect(sink.dropped).toBe(0);
    sink.close();
  });
});

describe('a store that is down', () => {
  it('keeps the lines and writes them once it is back', async () => {
    const written: string[] = [];
    let down = 2;
    const repo = {
      append: async (lines: LogLine[]) => {
        if (down-- > 0) throw new StoreUnavailableError('down');
        written.push(...lines.map((l) => l.message));
      },
      query: async () => [],
    };
    const sink = new StoreLogTransport(repo, { flushMs: 10 });
    sink.pushLine(line('a', { n: 1 }));
    sink.pushLine(line('b'));
    await sink.flush();
    await sink.flush();
    expect(written).toEqual([]);
    await sink.flush();
    expect(written).toEqual(['a', 'b']);
    expect(sink.dropped).toBe(0);
    sink.close();
  });
});
