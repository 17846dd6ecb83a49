// Malformed and oversized messages published straight onto Herald's queues with amqplib: each
// goes to its queue's dead-letter queue with the reason, none loops, and good work behind
// them still flows.
import amqp from 'amqplib';
import { AMQP_URL } from '../support/services';
import { startCluster, type Cluster } from './cluster';
import { expectNothingLostOrDoubled, outcome, record, row, waitAllFinal } from './outcome';

jest.setTimeout(120_000);

let c: Cluster;
let conn: amqp.ChannelModel;
let ch: amqp.Channel;

beforeAll(async () => {
  c = await startCluster('poison');
  conn = await amqp.connect(AMQP_URL);
  ch = await conn.createChannel();
});

afterAll(async () => {
  await conn?.close();
  await c?.dispose();
});

const big = (kib: number) => 'x'.repeat(kib * 1024);

/** What each queue is fed, and the reason its dead letter must give. */
/**
 * `send` when what is published differs from the dead letter's body (one id of a batch is dead-lettered
 * alone); `send: ''` for a further dead letter of the entry before's batch.
 */
const POISON: Record<'sms' | 'dispatch' | 'events', Array<{ send?: string; body: string; reason: RegExp }>> = {
  sms: [
    { body: 'not json {', reason: /invalid JSON/ },
    { body: '{"nothing":1}', reason: /no messageId/ },
    { body: 'null', reason: /no messageId/ },
    { body: '{"messageId":"n:u:sms"}', reason: /does not exist/ },
    { body: '{"messageIds":[]}', reason: /messageIds must hold 1 to/ },
    { send: '{"messageIds":["ghost:u:sms",7]}', body: '{"messageId":"ghost:u:sms"}', reason: /does not exist/ },
    { send: '', body: '{"messageId":7}', reason: /entry must be a non-empty string/ },
    { body: JSON.stringify({ messageId: 'n:u:sms', pad: big(200) }), reason: /exceeds the 131072-byte limit/ },
  ],
  dispatch: [
    { body: '\u0000\u0001binary', reason: /invalid JSON/ },
    { body: '[1,2,3]', reason: /no notificationId/ },
    { body: '{"notificationId":"missing"}', reason: /does not exist/ },
    { body: JSON.stringify({ notificationId: 'x', pad: big(200) }), reason: /exceeds/ },
  ],
  events: [
    { body: '{"program_id":1}', reason: /invalid event/ },
    { body: '{"programId":"p","eventTypeId":"e","startTime":"yesterday-ish"}', reason: /startTime/ },
    { body: '{"programId":"nope","eventTypeId":"e","startTime":"2030-01-01T00:00:00Z"}', reason: /UNPROCESSABLE: .*programId/ },
    { body: JSON.stringify({ programId: 'p1', eventTypeId: 'e1', startTime: new Date().toISOString(), data: { pad: big(200) } }), reason: /exceeds/ },
  ],
};

async function deadLetters(queue: string): Promise<Array<{ body: string; reason: string }>> {
  const out: Array<{ body: string; reason: string }> = [];
  for (;;) {
    const m = await ch.get(`${c.prefix}.${queue}.dead`, { noAck: true });
    if (!m) return out;
    out.push({ body: m.content.toString('utf8'), reason: String(m.properties.headers?.['x-herald-reason'] ?? '') });
  }
}

test('poison on the sms, dispatch and events queues is dead-lettered with a reason; good work still flows', async () => {
  const USERS = 100;
  const { programId, eventTypeId } = await c.seed(USERS, ['sms']);
  const started = Date.now();
  for (const [queue, items] of Object.entries(POISON)) {
    for (const p of items) if (p.send !== '') ch.sendToQueue(`${c.prefix}.${queue}`, Buffer.from(p.send ?? p.body), { persistent: true });
  }
  // Good work behind the poison: one notification by HTTP, one event from a RabbitMQ producer.
  const viaHttp = await c.post(programId, eventTypeId);
  const event = { programId, eventTypeId, startTime: new Date().toISOString(), data: { tag: 'tviaamqp' } };
  ch.publish(`${c.prefix}.events`, 'notification.created', Buffer.from(JSON.stringify(event)), { persistent: true });
  let viaAmqp: string | undefined;
  const deadline = Date.now() + 30_000;
  while (!viaAmqp) {
    viaAmqp = (await c.store.notifications.list({ workspaceId: 'default', programId }, { limit: 10, offset: 0 })).items.find((n) => n.source === 'amqp')?.id;
    if (Date.now() > deadline) throw new Error('the good event from RabbitMQ was never accepted');
    if (!viaAmqp) await new Promise((r) => setTimeout(r, 100));
  }
  await waitAllFinal(c, [viaHttp, viaAmqp], 2 * USERS, 60_000);
  const o = await outcome(c, [viaHttp, viaAmqp]);
  expectNothingLostOrDoubled(o);
  expect(o.byStatus).toEqual({ sent: 2 * USERS });

  const dead: Record<string, Array<{ body: string; reason: string }>> = {};
  for (const queue of Object.keys(POISON)) {
    const want = POISON[queue as keyof typeof POISON].length;
    const got: Array<{ body: string; reason: string }> = [];
    const until = Date.now() + 15_000;
    while (got.length < want && Date.now() < until) {
      got.push(...(await deadLetters(queue)));
      if (got.length < want) await new Promise((r) => setTimeout(r, 200));
    }
    dead[queue] = got;
  }
  const poisonCount = Object.values(POISON).flat().length;
  record(12, row(`${poisonCount} malformed/oversized messages on the sms, dispatch and events queues, then 2 good notifications`, o, Date.now() - started, `all ${poisonCount} dead-lettered with a reason`));
  for (const [queue, items] of Object.entries(POISON)) {
    expect(dead[queue]).toHaveLength(items.length);
    for (const p of items) {
      const match = dead[queue].find((d) => d.body === p.body);
      expect({ queue, body: p.body.slice(0, 60), reason: match?.reason }).toEqual({ queue, body: p.body.slice(0, 60), reason: expect.stringMatching(p.reason) });
    }
  }
  // Nothing is left looping through the work or retry queues.
  for (const queue of Object.keys(POISON)) expect((await ch.checkQueue(`${c.prefix}.${queue}`)).messageCount).toBe(0);
});
