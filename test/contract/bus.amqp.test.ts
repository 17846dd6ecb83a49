// The RabbitMQ bus against the bus contract, plus what only it promises: recovery from
// force-closed connections, confirms, the inbound exchange for outside producers.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { createAmqpBus, allNames, amqpNames, rungFor } from '../../src/bus/amqp';
import type { Bus, Delivery } from '../../src/bus/bus';
import { PublishNotConfirmedError } from '../../src/bus/errors';
import { BusUnavailableError } from '../../src/domain/errors';
import { freePort } from '../support/processes';
import { AMQP_URL, requireServices, uniqueName } from '../support/services';
import { describeBusContract, sleep, waitFor } from './bus.contract';

const run = promisify(execFile);
const prefixes: string[] = [];
let prefix = '';

beforeAll(() => requireServices(['amqp']));
beforeEach(() => {
  prefix = uniqueName('t');
  prefixes.push(prefix);
});

afterAll(async () => {
  const conn = await amqp.connect(AMQP_URL);
  const ch = await conn.createChannel();
  for (const p of prefixes) {
    const { queues, exchanges } = allNames(p);
    for (const q of queues) await ch.deleteQueue(q);
    for (const e of exchanges) await ch.deleteExchange(e);
  }
  await conn.close();
});

/** Force-closes, on the server side, only the connections of buses with this prefix (other test files share the broker). */
async function forceCloseConnections(p: string): Promise<number> {
  const { stdout } = await run('rabbitmqctl', ['list_connections', 'pid', 'client_properties', '--no-table-headers', '-q']);
  // One line a connection: '<rabbit@host.1.2.3>\t[{"connection_name",longstr,<<"herald:t-...">>}, ...]'.
  const mine = stdout.split('\n').filter((line) => line.includes(`"herald:${p}"`));
  for (const line of mine) await run('rabbitmqctl', ['close_connection', line.split('\t')[0], 'test']);
  return mine.length;
}


describeBusContract('amqp', async () => createAmqpBus({ url: AMQP_URL, prefix, drainTimeoutMs: 1000 }));

describe('amqp bus', () => {
  const buses: Bus[] = [];
  const open = async (opts: { confirmTimeoutMs?: number } = {}) => {
    const bus = createAmqpBus({ url: AMQP_URL, prefix, drainTimeoutMs: 1000, ...opts });
    buses.push(bus);
    await bus.connect();
    return bus;
  };
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()));
  });

  test('delays round up to the ladder', () => {
    expect([1, 1000, 1001, 29_000, 7_200_000].map(rungFor)).toEqual([1000, 1000, 5000, 30_000, 3_600_000]);
  });

  test('consuming resumes after the server force-closes the connection; an unsettled delivery comes back', async () => {
    const bus = await open({ confirmTimeoutMs: 15_000 });
    const got: Delivery[] = [];
    let closed = false;
    await bus.consume(
      'sms',
      async (d) => {
        got.push(d);
        const { n } = d.body as { n: string };
        // The first 'slow' delivery finishes only after its channel is gone: its ack must be dropped.
        if (n === 'slow' && !d.redelivered) await waitFor(() => closed, 20_000);
        return { action: 'ack' };
      },
      { prefetch: 2 },
    );
    await bus.publish('sms', { n: 'before' });
    await waitFor(() => got.length === 1, 5000, 'first delivery');
    await bus.publish('sms', { n: 'slow' });
    await waitFor(() => got.length === 2, 5000, 'slow delivery');

    expect(await forceCloseConnections(prefix)).toBeGreaterThan(0);
    closed = true;
    await bus.publish('sms', { n: 'after' });
    await waitFor(() => got.some((d) => (d.body as { n: string }).n === 'after'), 15_000, 'delivery after reconnect');
    await waitFor(() => got.filter((d) => (d.body as { n: string }).n === 'slow').length === 2, 15_000, 'slow redelivered');
    const slow = got.filter((d) => (d.body as { n: string }).n === 'slow');
    expect(slow.map((d) => d.redelivered)).toEqual([false, true]);
    await waitFor(async () => (await bus.depth('sms')) === 0, 5000, 'queue drained');
  }, 40_000);

  test('publish rejects with PublishNotConfirmedError when the broker cannot be reached', async () => {
    const url = `amqp://guest:guest@127.0.0.1:${await freePort()}`;
    const bus = createAmqpBus({ url, prefix, confirmTimeoutMs: 300, connectTimeoutMs: 300 });
    buses.push(bus);
    const t0 = Date.now();
    const err = await bus.publish('sms', { n: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishNotConfirmedError);
    expect((err as PublishNotConfirmedError).code).toBe('PUBLISH_NOT_CONFIRMED');
    expect(Date.now() - t0).toBeLessThan(2000);
    await expect(bus.connect()).rejects.toBeInstanceOf(BusUnavailableError);
  });

  test('a publish the broker returns as unroutable rejects with PublishNotConfirmedError', async () => {
    const bus = await open();
    const conn = await amqp.connect(AMQP_URL);
    const ch = await conn.createChannel();
    await ch.deleteQueue(amqpNames.work(prefix, 'email'));
    await conn.close();
    const err = await bus.publish('email', { n: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishNotConfirmedError);
    expect((err as Error).message).toMatch(/returned/);
    // The bus stays usable for the other queues.
    await bus.publish('sms', { n: 2 });
  });

  test('an outside producer publishing to <prefix>.events with notification.create reaches the events consumer', async () => {
    const bus = await open();
    const got: Delivery[] = [];
    await bus.consume('events', async (d) => (got.push(d), { action: 'ack' }), { prefetch: 1 });
    const conn = await amqp.connect(AMQP_URL);
    const ch = await conn.createConfirmChannel();
    const event = { start_time: '08/27/2019 21:04', program_id: 1, event_type_id: '1' };
    ch.publish(amqpNames.eventsExchange(prefix), 'notification.create', Buffer.from(JSON.stringify(event)), {
      contentType: 'application/json',
      persistent: true,
    });
    await ch.waitForConfirms();
    await conn.close();
    await waitFor(() => got.length === 1, 5000, 'the outside event');
    expect(got[0].body).toEqual(event);
    expect(got[0].attempt).toBe(1);
    await sleep(100);
  });
});
