// Other backends publish the same event JSON to RabbitMQ: the events exchange, routing key
// notification.create. Good events become notifications; bad ones are dead-lettered with the
// reason in their headers and never block the queue.
import amqp from 'amqplib';
import request from 'supertest';
import type { RunningHerald } from '../../src/runtime';
import { readOutbox } from '../../src/providers/outbox-file';
import { AMQP_URL, requireServices } from '../support/services';
import { disposeTestHerald, eventually, startTestHerald, testConfig } from '../support/herald';

describe('events published to RabbitMQ', () => {
  let herald: RunningHerald;
  let conn: amqp.ChannelModel;
  let ch: amqp.ConfirmChannel;

  beforeAll(async () => {
    await requireServices(['mongo', 'amqp']);
    herald = await startTestHerald(testConfig('real'));
    await herald.store.programs.create('default', { id: '1', name: 'Survey' });
    await herald.store.eventTypes.create('default', { id: '1', programId: '1', name: 'Form rejected', templates: { sms: { text: 'Form {{data.form}} rejected, {{user.name}}' } } });
    await herald.store.users.create('default', { id: 'ana', name: 'Ana', phone: '+254711000001' });
    await herald.store.subscriptions.create('default', { id: 's', userId: 'ana', programId: '1', channels: ['sms'] });
    conn = await amqp.connect(AMQP_URL);
    ch = await conn.createConfirmChannel();
  });
  afterAll(async () => {
    await conn?.close();
    await disposeTestHerald(herald);
  });

  const exchange = () => `${herald.config.amqpPrefix}.events`;
  const publish = async (body: string | object) => {
    ch.publish(exchange(), 'notification.create', Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), { persistent: true });
    await ch.waitForConfirms();
  };

  it('turns both event shapes into notifications that are delivered', async () => {
    await publish({ programId: 1, eventTypeId: '1', startTime: new Date().toISOString(), data: { form: 'F-7' } });
    await publish({ start_time: '08/27/2019 21:04', program_id: '1', event_type_id: 1, form: 'F-8' });
    const list = await eventually('two notifications', async () => {
      const r = await request(herald.url!).get('/v1/notifications');
      return r.body.total === 2 ? r.body.items : undefined;
    });
    expect(list.map((n: { source: string }) => n.source)).toEqual(['amqp', 'amqp']);
    const texts = await eventually('two SMS in the outbox', () => {
      const t = readOutbox(herald.config.dataDir, 'sms').map((e) => e.text);
      return t.length === 2 ? t.sort() : undefined;
    });
    expect(texts).toEqual(['Form F-7 rejected, Ana', 'Form F-8 rejected, Ana']);
  });

  it('dead-letters malformed events with the reason and keeps consuming', async () => {
    await publish('{not json');
    await publish({ programId: 1, eventTypeId: '1' });
    await publish({ programId: 'nope', eventTypeId: '1', startTime: new Date().toISOString() });
    await publish({ programId: 1, eventTypeId: '1', startTime: new Date().toISOString(), data: { form: 'F-9' } });
    const dead = await eventually('three dead letters', async () => {
      const d = await herald.bus.deadLetters('events', 10);
      return d.length === 3 ? d : undefined;
    });
    const reasons = dead.map((d) => d.reason).join('\n');
    expect(reasons).toMatch(/invalid JSON/i);
    expect(reasons).toMatch(/startTime/);
    expect(reasons).toMatch(/UNPROCESSABLE.*programId: program 'nope' does not exist/);
    await eventually('the good event behind them delivered', () => readOutbox(herald.config.dataDir, 'sms').some((e) => e.text.includes('F-9')));
  });

  it("names the fields of the original format in a legacy event's dead-letter reason", async () => {
    const earlier = (await herald.bus.deadLetters('events', 50)).map((d) => d.reason);
    await publish({ start_time: '08/27/2019 21:04', program_id: 'ghost', event_type_id: 1 });
    await publish({ start_time: '08/27/2019 21:04', end_time: '08/27/2019 20:04', program_id: '1', event_type_id: 1 });
    await publish({ start_time: 'yesterday', program_id: 1 });
    const dead = await eventually('three more dead letters', async () => {
      const d = await herald.bus.deadLetters('events', 50);
      return d.length === earlier.length + 3 ? d : undefined;
    });
    const reasons = dead.map((d) => d.reason).filter((r) => !earlier.includes(r)).join('\n');
    expect(reasons).toMatch(/program_id: program 'ghost' does not exist/);
    expect(reasons).toMatch(/end_time: must be after start_time/);
    expect(reasons).toMatch(/start_time: must be MM\/DD\/YYYY HH:mm/);
    expect(reasons).toMatch(/event_type_id: is required/);
    expect(reasons).not.toMatch(/programId|startTime|endTime|eventTypeId/);
  });
});
