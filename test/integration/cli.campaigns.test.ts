// `herald import` and `herald send-scheduled` as an operator runs them: child processes talking
// to a running `herald all` over HTTP. Import prints the report as tables (a rejected file exits
// non-zero with its rows); send-scheduled runs what is due through the named provider, with the
// vendor's older name accepted (nexmo for a Vonage instance).
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../support/processes';
import { eventually, tempDir } from '../support/herald';
import { startFakeVonage, type FakeVonage } from '../support/fake-sms-apis';
import { FIXTURES, KE } from '../support/csv-fixtures';
import { embeddedEnv, runHerald, startHeraldChild, stopChild, type LongRunning } from './herald-child';

jest.setTimeout(120_000);

describe('herald import and send-scheduled', () => {
  let url: string;
  let herald: LongRunning | undefined;
  let vonage: FakeVonage;
  const dir = tempDir('herald-cli-csv-');
  const run = (...args: string[]) => runHerald(args, { PATH: process.env.PATH ?? '/usr/bin:/bin', HERALD_URL: url }, 30_000, dir);
  const file = (name: string, text: string) => {
    fs.writeFileSync(path.join(dir, name), text);
    return name;
  };

  beforeAll(async () => {
    vonage = await startFakeVonage();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const providers = [
      { id: 'outbox-sms', type: 'outbox' },
      { id: 'vonage-main', type: 'vonage', options: { apiKey: vonage.apiKey, apiSecret: vonage.apiSecret, from: 'Herald', baseUrl: vonage.url, timeoutMs: 3000 } },
    ];
    herald = await startHeraldChild(['all'], embeddedEnv(tempDir('herald-cli-campaigns-'), {
      DISPATCH_PORT: String(port), HERALD_PHONE_REGION: 'KE', HERALD_CAMPAIGN_AUTOSTART: 'false', HERALD_SMS_PROVIDERS: JSON.stringify(providers),
    }));
  });
  afterAll(async () => {
    if (herald) await stopChild(herald, 'SIGTERM');
    await vonage?.close();
  });

  it('a dry run prints the report and writes nothing; a rejected file exits 1 with its rows', async () => {
    const dry = await run('import', file('term.csv', FIXTURES.basic), '--dry-run');
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/status\s+│?\s*completed \(dry run: nothing written\)/);
    expect(dry.stdout).toMatch(/messages planned\s+│?\s*4/);
    const campaigns = (await (await fetch(`${url}/v1/campaigns`)).json()) as { total: number };
    expect(campaigns.total).toBe(0);
    const bad = await run('import', file('bad.csv', FIXTURES.bad));
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/3\s+│?\s*recepient_nos\s+│?\s*'\+12' is not a valid phone number/);
    expect(bad.stdout).toContain('nothing was imported');
    const skipped = await run('import', 'bad.csv', '--skip-errors', '--json');
    expect(skipped.code).toBe(0);
    expect(JSON.parse(skipped.stdout).report).toMatchObject({ rowsImported: 1, rejectedTotal: 3 });
  });

  it('send-scheduled sends what is due through the provider named by its old vendor name', async () => {
    const csv = ['message,recepient_nos,campaign,sending_time', `Hello from the cron,"${KE(70)},${KE(71)}",Cron run,now`, `Later,${KE(72)},Tomorrow run,tomorrow`, ''].join('\n');
    const imported = await run('import', file('cron.csv', csv));
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/Cron run\s+│?\s*\S+\s+│?\s*2/);
    const sent = await run('send-scheduled', '--provider', 'nexmo');
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(/Cron run.*running.*vonage-main/);
    // The good row of the --skip-errors import above is due too (Bad file, now).
    expect(sent.stdout).toMatch(/Bad file.*running.*vonage-main/);
    expect(sent.stdout).not.toContain('Tomorrow run');
    await eventually('the due ones sent through Vonage', () => vonage.received.length >= 3, 20_000);
    expect(vonage.received.map((m) => `+${m.to.replace(/^\+/, '')}`).sort()).toEqual([KE(20), KE(70), KE(71)]);
    expect(vonage.received.find((m) => m.to.endsWith(KE(70).slice(1)))?.text).toBe('Hello from the cron');
    const again = await run('send-scheduled', '--provider', 'nexmo');
    expect(again.stdout).toBe('nothing is due\n');
    const unknown = await run('send-scheduled', '--provider', 'nope');
    expect(unknown.code).toBe(0); // nothing due: the name is not even needed
  });
});
