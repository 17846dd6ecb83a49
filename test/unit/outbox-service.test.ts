// GET /v1/outbox's reading: both channels in time order, a notification's messages only, and a
// cursor that resumes exactly where the last page stopped, even across a limit.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appendJsonLineSync, outboxFile } from '../../src/providers/outbox-file';
import { createOutboxService } from '../../src/services/outbox';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-outbox-svc-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const sms = (n: string, user: string, second: number) =>
  appendJsonLineSync(outboxFile(dataDir, 'sms'), { time: `2030-01-01T00:00:${String(second).padStart(2, '0')}.000Z`, id: `outbox-${n}-${user}`, messageId: `${n}:${user}:sms`, part: 0, to: '+254700000001', text: 'hi', validUntil: '2030-01-02T00:00:00Z' });
const email = (n: string, user: string, second: number) =>
  appendJsonLineSync(outboxFile(dataDir, 'email'), { time: `2030-01-01T00:00:${String(second).padStart(2, '0')}.000Z`, id: `outbox-${n}-${user}-e`, messageId: `${n}:${user}:email`, to: 'a@example.org', subject: 'S', text: 'hi', validUntil: '2030-01-02T00:00:00Z' });

describe('outbox service', () => {
  const outbox = createOutboxService({ dataDir, channels: ['sms', 'email'] });

  it('reads both channels oldest first with notification ids, and follows with the cursor', () => {
    expect(outbox.read({ limit: 10 })).toEqual({ items: [], next: 'sms:0,email:0' });
    sms('n1', 'a', 1);
    email('n1', 'b', 2);
    sms('n2', 'a', 3);
    const first = outbox.read({ limit: 10 });
    expect(first.items.map((i) => [i.channel, i.notificationId, i.messageId])).toEqual([
      ['sms', 'n1', 'n1:a:sms'],
      ['email', 'n1', 'n1:b:email'],
      ['sms', 'n2', 'n2:a:sms'],
    ]);
    expect(first.items[1]).toMatchObject({ subject: 'S' });
    expect(outbox.read({ limit: 10, after: first.next }).items).toEqual([]);
    email('n2', 'b', 4);
    expect(outbox.read({ limit: 10, after: first.next }).items.map((i) => i.messageId)).toEqual(['n2:b:email']);
  });

  it('pages by limit without skipping or repeating, and filters by notification', () => {
    const seen: string[] = [];
    let after: string | undefined;
    for (let page = outbox.read({ limit: 1 }); page.items.length; page = outbox.read({ limit: 1, after })) {
      seen.push(...page.items.map((i) => i.messageId));
      after = page.next;
    }
    expect(seen).toEqual(['n1:a:sms', 'n1:b:email', 'n2:a:sms', 'n2:b:email']);
    expect(outbox.read({ limit: 10, notificationId: 'n2', channel: 'email' }).items.map((i) => i.messageId)).toEqual(['n2:b:email']);
  });

  it('refuses a cursor it did not give, and answers 404 where no channel uses the outbox', () => {
    expect(() => outbox.read({ limit: 10, after: 'sms:abc' })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED', issues: [expect.objectContaining({ field: 'after' })] }));
    expect(() => createOutboxService({ dataDir, channels: [] }).read({ limit: 10 })).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });
});
