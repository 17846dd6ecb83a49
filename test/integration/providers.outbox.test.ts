// The outbox providers write real files: one intact JSON line per message, readable in order
// and followable while they are written.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { create as createSmsOutbox, readOutbox, followOutbox, type SmsOutboxEntry } from '../../src/providers/sms/outbox';
import { create as createEmailOutbox, type EmailOutboxEntry } from '../../src/providers/email/outbox';
import { ProviderError } from '../../src/providers/types';
import { uniqueName } from '../support/services';

const until = new Date('2030-01-01T00:00:00.000Z');

async function eventually(check: () => void, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return check();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

describe('outbox providers', () => {
  let dataDir: string;
  beforeEach(() => {
    // A folder that does not exist yet: the provider creates what it needs.
    dataDir = path.join(os.tmpdir(), uniqueName('herald-outbox'), 'data');
  });
  afterEach(() => fs.rmSync(path.dirname(dataDir), { recursive: true, force: true }));

  const sms = () => createSmsOutbox({ id: 'outbox-sms', type: 'outbox', channel: 'sms', options: {} }, { dataDir });
  const email = () => createEmailOutbox({ id: 'outbox-email', type: 'outbox', channel: 'email', options: {} }, { dataDir });

  it('writes one JSON line per SMS part and reads them back in order', async () => {
    const p = sms();
    const r1 = await p.send({ messageId: 'm1', part: 0, to: '+254700000001', text: 'part one', validUntil: until });
    const r2 = await p.send({ messageId: 'm1', part: 1, to: '+254700000001', text: 'part "two"\nwith a newline', validUntil: until });
    expect(r1).toEqual({ providerMessageId: expect.stringMatching(/^outbox-[0-9a-f-]{36}$/), status: 'sent' });
    expect(r2.providerMessageId).not.toBe(r1.providerMessageId);

    const lines = fs.readFileSync(path.join(dataDir, 'outbox', 'sms.jsonl'), 'utf8').split('\n');
    expect(lines).toHaveLength(3); // two lines and the final newline
    expect(lines[2]).toBe('');
    const entries = readOutbox(dataDir, 'sms');
    expect(entries).toEqual(lines.slice(0, 2).map((l) => JSON.parse(l)));
    expect(entries).toEqual([
      { time: expect.any(String), id: r1.providerMessageId, messageId: 'm1', part: 0, to: '+254700000001', text: 'part one', validUntil: until.toISOString() },
      { time: expect.any(String), id: r2.providerMessageId, messageId: 'm1', part: 1, to: '+254700000001', text: 'part "two"\nwith a newline', validUntil: until.toISOString() },
    ]);
  });

  it('writes email with subject, text and html to its own file', async () => {
    const r = await email().send({ messageId: 'e1', to: 'ada@example.test', subject: 'Hi', text: 'plain', html: '<p>rich</p>', validUntil: until });
    await email().send({ messageId: 'e2', to: 'bob@example.test', subject: 'Text only', text: 'plain', validUntil: until });
    const entries = readOutbox(dataDir, 'email') as EmailOutboxEntry[];
    expect(entries.map((e) => [e.id, e.messageId, e.to, e.subject, e.text, e.html])).toEqual([
      [r.providerMessageId, 'e1', 'ada@example.test', 'Hi', 'plain', '<p>rich</p>'],
      [expect.any(String), 'e2', 'bob@example.test', 'Text only', 'plain', undefined],
    ]);
    expect('html' in entries[1]).toBe(false);
    expect(readOutbox(dataDir, 'sms')).toEqual([]);
  });

  it('keeps 50 concurrent sends as 50 intact lines', async () => {
    const p = sms();
    const text = 'x'.repeat(5000); // long lines make torn writes visible
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => p.send({ messageId: `m${i}`, part: 0, to: `+2547000000${String(i).padStart(2, '0')}`, text, validUntil: until })),
    );
    const raw = fs.readFileSync(path.join(dataDir, 'outbox', 'sms.jsonl'), 'utf8');
    const lines = raw.trimEnd().split('\n');
    expect(lines).toHaveLength(50);
    const parsed = lines.map((l) => JSON.parse(l) as SmsOutboxEntry);
    expect(new Set(parsed.map((e) => e.id))).toEqual(new Set(results.map((r) => r.providerMessageId)));
    expect(parsed.every((e) => e.text === text)).toBe(true);
  });

  it('keeps lines from several processes appending at once intact', async () => {
    // What several workers sharing one data folder do: 4 processes x 25 sends of 20 kB lines.
    const script = `
      const { create } = require(${JSON.stringify(path.resolve(__dirname, '../../src/providers/sms/outbox'))});
      const p = create({ id: 'o', type: 'outbox', channel: 'sms', options: {} }, { dataDir: process.argv[1] });
      const text = process.argv[2].repeat(20000);
      Promise.all(Array.from({ length: 25 }, (_, i) => p.send({ messageId: process.argv[2] + i, part: 0, to: '+1', text, validUntil: new Date() })));
    `;
    await Promise.all(
      ['a', 'b', 'c', 'd'].map(
        (tag) =>
          new Promise<void>((resolve, reject) =>
            execFile(process.execPath, ['--require', 'tsx/cjs', '-e', script, dataDir, tag], { cwd: path.resolve(__dirname, '../..') }, (err) =>
              err ? reject(err) : resolve(),
            ),
          ),
      ),
    );
    const entries = readOutbox(dataDir, 'sms');
    expect(entries).toHaveLength(100);
    for (const e of entries) expect(e.text).toBe(e.messageId[0].repeat(20000));
    expect(new Set(entries.map((e) => e.messageId)).size).toBe(100);
  });

  it('follows new lines, from a file that does not exist yet, until stopped', async () => {
    const seen: string[] = [];
    const stop = followOutbox(dataDir, 'sms', (e) => seen.push(e.messageId), { intervalMs: 20 });
    try {
      const p = sms();
      await p.send({ messageId: 'a', part: 0, to: '+1', text: 'a', validUntil: until });
      await p.send({ messageId: 'b', part: 0, to: '+1', text: 'b', validUntil: until });
      await eventually(() => expect(seen).toEqual(['a', 'b']));
      // A half-written line is not delivered until its newline arrives.
      const file = path.join(dataDir, 'outbox', 'sms.jsonl');
      const line = JSON.stringify({ messageId: 'c' });
      fs.appendFileSync(file, line.slice(0, 5));
      await new Promise((r) => setTimeout(r, 80));
      expect(seen).toEqual(['a', 'b']);
      fs.appendFileSync(file, `${line.slice(5)}\n`);
      await eventually(() => expect(seen).toEqual(['a', 'b', 'c']));
    } finally {
      stop();
    }
    await sms().send({ messageId: 'after-stop', part: 0, to: '+1', text: 'x', validUntil: until });
    await new Promise((r) => setTimeout(r, 80));
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('starts again from the top when the outbox is removed and written anew', async () => {
    await sms().send({ messageId: 'before', part: 0, to: '+1', text: 'x', validUntil: until });
    const seen: string[] = [];
    const stop = followOutbox(dataDir, 'sms', (e) => seen.push(e.messageId), { intervalMs: 20 });
    try {
      fs.rmSync(path.join(dataDir, 'outbox', 'sms.jsonl'));
      await new Promise((r) => setTimeout(r, 60));
      await sms().send({ messageId: 'after', part: 0, to: '+1', text: 'a longer text than before', validUntil: until });
      await eventually(() => expect(seen).toEqual(['after']));
    } finally {
      stop();
    }
  });

  it('replays existing lines with fromStart and skips them without', async () => {
    await sms().send({ messageId: 'old', part: 0, to: '+1', text: 'x', validUntil: until });
    const all: string[] = [];
    const fresh: string[] = [];
    const stops = [
      followOutbox(dataDir, 'sms', (e) => all.push(e.messageId), { fromStart: true, intervalMs: 20 }),
      followOutbox(dataDir, 'sms', (e) => fresh.push(e.messageId), { intervalMs: 20 }),
    ];
    try {
      await sms().send({ messageId: 'new', part: 0, to: '+1', text: 'x', validUntil: until });
      await eventually(() => {
        expect(all).toEqual(['old', 'new']);
        expect(fresh).toEqual(['new']);
      });
    } finally {
      stops.forEach((s) => s());
    }
  });

  it('reports a folder it cannot write as a ProviderError', async () => {
    fs.mkdirSync(path.dirname(dataDir), { recursive: true });
    fs.writeFileSync(dataDir, 'a file where the data folder should be');
    const err = await sms()
      .send({ messageId: 'm', part: 0, to: '+1', text: 'x', validUntil: until })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ code: 'UNKNOWN', retryable: false, message: expect.stringContaining('outbox-sms') });
  });

  it('rejects options it does not know', () => {
    expect(() => createSmsOutbox({ id: 'ob', type: 'outbox', channel: 'sms', options: { dir: '/tmp' } }, { dataDir })).toThrow(/provider 'ob' \(outbox\)/);
  });
});
