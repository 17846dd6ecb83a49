// CPU of the accept use case alone: NotificationService.accept called in this process (no HTTP), 50 at a time,
// on MongoDB + RabbitMQ (unique database and prefix, removed after), the dispatch publish stubbed (no fan-out).
// Its store insert (group commit), catalog reads, window, audience and log lines (stdout, and the store's log
// rows) are all there. Compare with `bench/http-layer.ts` (the HTTP layer with a fake service) and
// `bench/accept-cpu.ts` (the whole `herald server` child): what neither explains is the process around them
// (V8's garbage collection and helper threads).
//   npx tsx bench/accept-service-cpu.ts [accepts=3000] [--silent] > /dev/null   (stdout gets the log lines; figures on stderr)
import { startHerald } from '../src/runtime';
import { disposeTestHerald, testConfig } from '../test/support/herald';

async function main(): Promise<void> {
  const n = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 3000);
  const config = testConfig('real', { 'log.level': 'info', 'scheduler.intervalMs': 1000 });
  const herald = await startHerald({ role: 'server', config, silent: process.argv.includes('--silent'), processName: 'accept-service-cpu' });
  try {
    const { store } = herald;
    await store.programs.create('default', { id: 'p', name: 'P' });
    await store.eventTypes.create('default', { id: 'e', programId: 'p', name: 'E', templates: { sms: { text: 'Hi {{user.name}}, {{data.seq}}.' } } });
    // No dispatch publish: nothing fans out, so the figure is the accept alone.
    (herald.bus as { publish: (...a: unknown[]) => Promise<void> }).publish = async () => undefined;
    const req = (i: number) => ({ workspaceId: 'default', programId: 'p', eventTypeId: 'e', startTime: new Date(), data: { seq: i }, source: 'api' as const });
    const run = async (count: number): Promise<void> => {
      let next = 0;
      await Promise.all(Array.from({ length: 50 }, async () => {
        while (next < count) await herald.notifications.accept(req(next++));
      }));
    };
    await run(1000);
    for (let r = 1; r <= 3; r++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await run(n);
      const c = process.cpuUsage(c0);
      process.stderr.write(`round ${r}: ${((c.user + c.system) / n).toFixed(0)} µs of CPU an accept (user ${(c.user / n).toFixed(0)}), ${(n / ((performance.now() - t0) / 1000)).toFixed(0)} accepts/s\n`);
    }
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
