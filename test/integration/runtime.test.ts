// Start-up failures a person would hit: a port already taken stops Herald with the reason; one that
// fails after the store and the queue are open closes them again (the files are free, and a program
// left with nothing to do ends instead of hanging).
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { storePaths } from '../../src/runtime';
import { disposeInstallation, startTestHerald, tempDir, testConfig } from '../support/herald';
import { requireServices, uniqueMongoUri } from '../support/services';

jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, '../..');

describe('start-up', () => {
  it('refuses to start when the HTTP port is taken, naming the cause', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(startTestHerald(testConfig('embedded', { dispatchPort: port }))).rejects.toThrow(/EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });

  // Sent from this thread (no sender thread), through an SMS gateway whose configuration is wrong: this
  // thread finds out when it builds its providers, after the store and the queue are open and its consumers run.
  const BROKEN = {
    'worker.senderThreads': 0,
    'providers.sms': [{ id: 'gw', type: 'http', channel: 'sms', options: { method: 'GET', url: 'http://127.0.0.1:9/send?to={{to}}', body: '{}' } }],
  };
  const CAUSE = /provider 'gw' \(http\): option 'body' cannot be sent with GET/;

  it('closes the store and the queue when it fails after opening them: the files are not left locked', async () => {
    const config = testConfig('embedded', BROKEN);
    await expect(startTestHerald(config)).rejects.toThrow(CAUSE);
    const { sqliteFile, queueFile } = storePaths(config);
    for (const file of [sqliteFile, queueFile]) {
      // SQLite takes a database out of WAL mode only when no other connection has it open.
      const db = new Database(file, { timeout: 200 });
      try {
        expect([file, db.pragma('journal_mode = DELETE', { simple: true })]).toEqual([file, 'delete']);
      } finally {
        db.close();
      }
    }
  });

  it('a program whose Herald failed to start ends by itself, instead of hanging on what the start-up left open', async () => {
    const overrides = { dispatchPort: 0, host: '127.0.0.1', dataDir: tempDir(), seedDemoData: 'never', 'log.level': 'error', ...BROKEN };
    const { output, ended } = await runProgram(`
      startHerald({ role: 'all', config: loadConfig({}, ${JSON.stringify(overrides)}), silent: true }).then(
        () => console.log('started'),
        (e) => console.log('failed: ' + e.message),
      );`);
    expect(output).toMatch(CAUSE);
    expect(ended).toEqual({ code: 0 });
  });
});

describe('stop', () => {
  // Herald's logger is the program's too (RunningHerald.logger): a line written after stop() (the program's own, or one of
  // Herald's still on its way, e.g. a reconnect attempt that was in flight) must not wait forever for the closed store.
  it('a program that logs through Herald\'s logger after stop() ends by itself, the line on stdout', async () => {
    const overrides = { dispatchPort: 0, host: '127.0.0.1', dataDir: tempDir(), seedDemoData: 'never', 'log.format': 'json', 'worker.senderThreads': 0 };
    const { output, ended } = await runProgram(`
      startHerald({ role: 'all', config: loadConfig({}, ${JSON.stringify(overrides)}) }).then(async (herald) => {
        await herald.stop();
        herald.logger.info('the embedding program is done');
      });`);
    expect(output).toMatch(/"message":"herald stopped"/);
    expect(output).toMatch(/"message":"the embedding program is done"/);
    expect(ended).toEqual({ code: 0 });
  });

  // MongoDB gone when Herald stops (a compose stack taken down, a network cut): the last log lines cannot be written; stdout has them.
  it('a program whose Herald stops while MongoDB is unreachable ends by itself', async () => {
    await requireServices(['mongo']);
    const mongodbUri = uniqueMongoUri();
    const base = new URL(mongodbUri);
    const overrides = { host: '127.0.0.1', 'worker.httpPort': 0, dataDir: tempDir(), seedDemoData: 'never', 'log.format': 'json' };
    try {
      const { output, ended } = await runProgram(`
        const { startTcpProxy } = require(${JSON.stringify(path.join(ROOT, 'test/support/tcp-proxy'))});
        (async () => {
          const proxy = await startTcpProxy({ host: ${JSON.stringify(base.hostname)}, port: ${Number(base.port || 27017)} });
          const uri = 'mongodb://127.0.0.1:' + proxy.port + ${JSON.stringify(base.pathname)};
          const herald = await startHerald({ role: 'sms', config: loadConfig({}, { ...${JSON.stringify(overrides)}, mongodbUri: uri }) });
          await proxy.cut();
          await herald.stop();
          console.log('stop() returned');
        })();`);
      expect(output).toMatch(/stop\(\) returned/);
      expect(ended).toEqual({ code: 0 });
    } finally {
      await disposeInstallation(undefined, '', mongodbUri);
    }
  });
});

/** Runs `body` in a program of its own (loadConfig and startHerald in scope) and waits for it to end by itself. */
async function runProgram(body: string): Promise<{ output: string; ended: { code: number | null } | 'still running' }> {
  const program = `
    require('tsx/cjs');
    const { loadConfig } = require(${JSON.stringify(path.join(ROOT, 'src/config'))});
    const { startHerald } = require(${JSON.stringify(path.join(ROOT, 'src/runtime'))});
    ${body}`;
  const child = spawn(process.execPath, ['-e', program], { cwd: ROOT, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
  const ended = await new Promise<{ code: number | null } | 'still running'>((resolve) => {
    const timer = setTimeout(() => resolve('still running'), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code });
    });
  });
  if (ended === 'still running') child.kill('SIGKILL');
  return { output, ended };
}
