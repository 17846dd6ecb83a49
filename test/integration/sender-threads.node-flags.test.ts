// `herald all` started with Node.js flags that a worker thread refuses (--max-old-space-size, --stack-size
// are process-wide): its sender threads start anyway (they inherit what applies to them) and send.
import { readOutbox } from '../../src/providers/outbox-file';
import { createSqliteStore } from '../../src/store/sqlite';
import { freePort } from '../support/processes';
import { eventually, tempDir } from '../support/herald';
import { embeddedEnv, startHeraldChild, stopChild, type LongRunning } from './herald-child';

jest.setTimeout(90_000);

describe('herald all with sender threads and process-wide Node.js flags', () => {
  let herald: LongRunning | undefined;
  afterEach(async () => {
    if (herald) await stopChild(herald, 'SIGKILL');
    herald = undefined;
  });

  it('starts under node --max-old-space-size and sends from its sender thread', async () => {
    const dataDir = tempDir('herald-threads-flags-');
    const s = createSqliteStore(`${dataDir}/herald.db`);
    await s.connect();
    await s.programs.create('default', { id: '1', name: 'Drive' });
    await s.eventTypes.create('default', { id: '1', programId: '1', name: 'Session', templates: { sms: { text: 'Hi {{user.name}}' } } });
    await s.users.create('default', { id: 'u1', name: 'Amina', phone: '+254700100001' });
    await s.subscriptions.create('default', { id: 's-u1', userId: 'u1', programId: '1', channels: ['sms'] });
    await s.close();
    const port = await freePort();
    const env = embeddedEnv(dataDir, { DISPATCH_PORT: String(port), HERALD_SENDER_THREADS: '1' });
    herald = await startHeraldChild(['all'], env, 30_000, ['--max-old-space-size=1024']);
    const r = await fetch(`http://127.0.0.1:${port}/v1/notifications`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ programId: '1', eventTypeId: '1', startTime: new Date().toISOString() }),
    });
    expect(r.status).toBe(202);
    await eventually('the SMS in the outbox', () => readOutbox(dataDir, 'sms').length === 1, 30_000);
    expect((await stopChild(herald, 'SIGTERM')).code).toBe(0);
    herald = undefined;
  });
});
