// Where the bench's SMS go: fake providers that answer at once, each able to say how many
// messages it received and how many of them were distinct (a duplicate is a second hand-over).
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { providerTypes } from '../src/providers/registry';
import { startFakeTwilio } from '../test/support/fake-twilio';

export type SinkKind = 'twilio' | 'http' | 'outbox';

export interface SmsSink {
  kind: SinkKind;
  /** What the SMS worker runs, for the `providers.sms` setting. */
  providers: Array<{ id: string; type: string; options: Record<string, unknown> }>;
  received(): number;
  distinct(): number;
  close(): Promise<void>;
}

/** The sinks this checkout can run: the generic `http` provider only once it is registered. */
export function availableSinks(): SinkKind[] {
  return providerTypes('sms').includes('http') ? ['twilio', 'http', 'outbox'] : ['twilio', 'outbox'];
}

/** The test suite's fake Twilio, driven by the real twilio SDK in the worker. */
async function twilioSink(): Promise<SmsSink> {
  const accountSid = `AC${'b'.repeat(32)}`;
  const fake = await startFakeTwilio({ accountSid, authToken: 'bench' });
  return {
    kind: 'twilio',
    providers: [{ id: 'twilio', type: 'twilio', options: { accountSid, authToken: 'bench', from: '+15005550006', apiUrl: fake.url } }],
    received: () => fake.received.length,
    // Bodies are unique per user and notification (the template carries both).
    distinct: () => new Set(fake.received.map((m) => `${m.to}|${m.body}`)).size,
    close: () => fake.close(),
  };
}

/** The smallest gateway the `http` provider can talk to: one JSON POST in, 200 out. */
async function httpSink(): Promise<SmsSink> {
  let count = 0;
  const ids = new Set<string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { messageId: string; part?: string };
      count++;
      ids.add(`${body.messageId}:${body.part ?? 0}`);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(`{"id":"gw-${count}"}`);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    kind: 'http',
    providers: [
      {
        id: 'gateway',
        type: 'http',
        options: { url: `http://127.0.0.1:${port}/send`, body: '{"to":"{{to}}","text":"{{text}}","messageId":"{{messageId}}","part":"{{part}}"}', idPath: 'id' },
      },
    ],
    received: () => count,
    distinct: () => ids.size,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The built-in outbox provider: one fsynced JSON line per message in the worker's data folder. */
function outboxSink(dataDir: string): SmsSink {
  const file = path.join(dataDir, 'outbox', 'sms.jsonl');
  let offset = 0;
  let rest = '';
  const ids: string[] = [];
  const read = (): void => {
    if (!fs.existsSync(file)) return;
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      if (size <= offset) return;
      const buf = Buffer.alloc(size - offset);
      fs.readSync(fd, buf, 0, buf.length, offset);
      offset = size;
      const lines = (rest + buf.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) {
        if (!l) continue;
        const e = JSON.parse(l) as { messageId: string; part: number };
        ids.push(`${e.messageId}:${e.part}`);
      }
    } finally {
      fs.closeSync(fd);
    }
  };
  return {
    kind: 'outbox',
    providers: [{ id: 'outbox-sms', type: 'outbox', options: {} }],
    received: () => (read(), ids.length),
    distinct: () => (read(), new Set(ids).size),
    close: async () => undefined,
  };
}

export async function startSink(kind: SinkKind, dataDir: string): Promise<SmsSink> {
  if (kind === 'twilio') return twilioSink();
  if (kind === 'http') return httpSink();
  return outboxSink(dataDir);
}
