// MongoDB commands and bus publishes per accepted notification: a `herald server` in this process on
// MongoDB + RabbitMQ (unique database and queue prefix, removed after), a program with 5 SMS
// subscribers, N POSTs at 50 in flight, then waits until every notification is dispatched (nobody
// sends: the sms queue just fills). The counts come from the driver's command monitoring and do not
// move with the machine's load, unlike the bench's rates.
//   npx tsx bench/accept-commands.ts [notifications=300]
import { performance } from 'node:perf_hooks';
import type { QueueName } from '../src/bus/bus';
import { disposeTestHerald, startTestHerald, testConfig } from '../test/support/herald';
import { postMany } from './load';
import { commandKey, monitorMongoCommands } from './mongo-monitor';

const commands = new Map<string, number>();
// Every connection Herald opens: `<command> <collection>` counted.
monitorMongoCommands((e) => {
  const key = commandKey(e);
  commands.set(key, (commands.get(key) ?? 0) + 1);
});

const WARM_UP = 100;

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 300);
  const herald = await startTestHerald(testConfig('real', { 'log.level': 'info', 'scheduler.intervalMs': 1000 }), 'server');
  try {
    const { store } = herald;
    await store.programs.create('default', { id: 'p', name: 'P' });
    await store.eventTypes.create('default', { id: 'e', programId: 'p', name: 'E', templates: { sms: { text: 'Hi {{user.name}}, {{data.seq}}.' } } });
    for (let i = 0; i < 5; i++) {
      await store.users.create('default', { id: `u${i}`, name: `U${i}`, phone: `+25471200000${i}` });
      await store.subscriptions.create('default', { id: `s${i}`, userId: `u${i}`, programId: 'p', channels: ['sms'] });
    }
    const body = (i: number) => ({ programId: 'p', eventTypeId: 'e', startTime: new Date().toISOString(), data: { seq: i } });
    const dispatched = async () => (await store.notifications.list({ workspaceId: 'default', status: 'dispatched' }, { limit: 1, offset: 0 })).total;
    const settle = async (count: number) => {
      for (let i = 0; i < 120 && (await dispatched()) < count; i++) await new Promise((r) => setTimeout(r, 500));
    };
    await postMany(`${herald.url}/v1/notifications`, WARM_UP, 50, body);
    await settle(WARM_UP);
    const publishes = new Map<string, number>();
    const publish = herald.bus.publish.bind(herald.bus);
    herald.bus.publish = (queue: QueueName, b: object, o?: Parameters<typeof publish>[2]) => {
      publishes.set(queue, (publishes.get(queue) ?? 0) + 1);
      return publish(queue, b, o);
    };
    commands.clear();
    const t0 = performance.now();
    const load = await postMany(`${herald.url}/v1/notifications`, n, 50, body);
    await settle(WARM_UP + n);
    const per = (v: number) => (v / n).toFixed(2).padStart(6);
    console.log(`${load.statuses['202'] ?? 0} accepted, all dispatched after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    console.log('bus publishes per notification:', [...publishes].map(([q, v]) => `${q} ${per(v).trim()}`).join(', '));
    console.log('MongoDB commands per notification:');
    let total = 0;
    for (const [k, v] of [...commands].sort((a, b) => b[1] - a[1])) {
      total += v;
      console.log(`  ${per(v)}  ${k}`);
    }
    console.log(`  ${per(total)}  in all`);
  } finally {
    await disposeTestHerald(herald);
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
