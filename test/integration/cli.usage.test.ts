// `herald usage` as an API client: every page fetched, a table or CSV printed, API errors as one line.
import type { RunningHerald } from '../../src/runtime';
import { fetchUsage, renderUsage } from '../../src/cli/usage';
import { createApiClient } from '../../src/cli/client';
import { disposeTestHerald, startTestHerald, testConfig } from '../support/herald';
import { runHerald, embeddedEnv } from './herald-child';
import { tempDir } from '../support/herald';

describe('herald usage', () => {
  let herald: RunningHerald;
  beforeAll(async () => {
    herald = await startTestHerald(testConfig('embedded'));
    const base = { workspaceId: 'default', dimension: 'workspace' as const, key: '*', channel: 'sms' as const, provider: 'twilio' };
    await herald.store.usage.add([
      { ...base, hour: new Date('2030-01-01T05:00:00Z'), counts: { delivered: 3, segments: 6 } },
      { ...base, hour: new Date('2030-02-20T05:00:00Z'), counts: { failed: 1 } },
    ]);
  });
  afterAll(() => disposeTestHerald(herald));

  it('fetches every page and renders a table or CSV', async () => {
    const buckets = await fetchUsage(createApiClient({ url: herald.url }), { start: '2030-01-01T00:00:00Z', end: '2030-02-21T00:00:00Z', every: '1hour' });
    expect(buckets).toHaveLength(51 * 24);
    expect(buckets.filter((b) => b.messages !== 0).map((b) => [b.start, b.messages])).toEqual([
      ['2030-01-01T05:00:00.000Z', 3],
      ['2030-02-20T05:00:00.000Z', 1],
    ]);
    const daily = await fetchUsage(createApiClient({ url: herald.url }), { start: '2030-01-01', end: '2030-01-03', every: '1day', channel: 'sms' });
    const csv = renderUsage(daily, true).trimEnd().split('\n');
    expect(csv).toEqual([
      'start,messages,pending,sent,delivered,undelivered,failed,expired,cancelled,rejected,segments,creditsCharged,creditsRefunded',
      '2030-01-01T00:00:00.000Z,3,0,0,3,0,0,0,0,0,6,0,0',
      '2030-01-02T00:00:00.000Z,0,0,0,0,0,0,0,0,0,0,0,0',
    ]);
    expect(renderUsage(daily, false)).toMatch(/│ 2030-01-01T00:00:00\.000Z │ 3 /);
  });

  it('reports the API refusal with its field', async () => {
    await expect(fetchUsage(createApiClient({ url: herald.url }), { start: '2030-01-02', end: '2030-01-01', every: '1day' })).rejects.toThrow(/: end must be after start$/);
  });

  it('runs from the command line with --csv against HERALD_URL', async () => {
    const r = await runHerald(['usage', '--start', '2030-01-01', '--end', '2030-01-02', '--every', '1day', '--csv'], embeddedEnv(tempDir(), { HERALD_URL: herald.url! }));
    expect(r.stderr).toBe('');
    expect(r.stdout.trimEnd().split('\n')[1]).toBe('2030-01-01T00:00:00.000Z,3,0,0,3,0,0,0,0,0,6,0,0');
  }, 30_000);
});
