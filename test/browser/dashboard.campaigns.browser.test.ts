// Campaigns in the browser: upload a CSV, read the dry-run report (rejected rows with reasons,
// campaigns, segments, credits), confirm, and watch the progress bar reach 100 % live; run,
// pause, resume and cancel; a viewer sees no upload and no button; forms without the token are refused.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { RunningHerald } from '../../src/runtime';
import { disposeTestHerald, tempDir } from '../support/herald';
import {
  ADMIN_KEY, WIDTHS, chromiumInstalled, createKey, launchBrowser, screenshot, see, seriousViolations, signIn, startDashboardHerald,
} from './dashboard.support';

jest.setTimeout(120_000);

const RECIPIENTS = 40;
const phone = (i: number) => `+2547${String(20_000_000 + i).slice(-8)}`;

let herald: RunningHerald;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let url: string;
const dir = tempDir('herald-dashboard-csv-');

function csv(name: string, campaign: string, when: string, rows: number, extra: string[] = []): string {
  const lines = ['message,recepient_nos,campaign,sending_time,name'];
  for (let i = 0; i < rows; i++) lines.push(`"Hello {{name}}, fees are due",${phone(i)},${campaign},${when},Parent ${i}`);
  const file = path.join(dir, name);
  fs.writeFileSync(file, [...lines, ...extra, ''].join('\n'));
  return file;
}

async function upload(file: string, onError: 'reject' | 'skip' = 'reject'): Promise<void> {
  await page.goto(`${url}/dashboard/campaigns`);
  await page.setInputFiles('#csv-file', file);
  await page.selectOption('#csv-onerror', onError);
  await page.getByRole('button', { name: 'Check the file…' }).click();
  await see(page.getByRole('heading', { level: 1 })).toHaveText('Check the import');
}

const statusOf = (name: string) => page.locator('tr', { has: page.getByRole('link', { name }) }).locator('.badge');

beforeAll(async () => {
  if (!chromiumInstalled()) throw new Error('chromium is not installed at /usr/bin/chromium: run scripts/test-services.sh');
  herald = await startDashboardHerald('embedded', { 'credits.defaultBalance': 1000 });
  url = herald.url!;
  browser = await launchBrowser();
  // bypassCSP only so that axe can be injected as a script tag.
  context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  await signIn(page, url, ADMIN_KEY);
});

afterAll(async () => {
  await browser?.close();
  await disposeTestHerald(herald);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('campaigns in the dashboard', () => {
  it('uploads a CSV, shows the dry-run report, imports only on confirmation, and the progress bar reaches 100 % live', async () => {
    const file = csv('fees.csv', 'School fees', 'now', RECIPIENTS, ['"Bad number",+12,School fees,now,Nobody']);
    await upload(file, 'skip');
    const facts = page.locator('main .facts');
    await see(facts).toContainText(`Rows read${RECIPIENTS + 1}`);
    await see(facts).toContainText('Rejected rows1');
    await see(facts).toContainText(`Messages${RECIPIENTS}`);
    await see(page.locator('table', { hasText: 'Rejected rows' })).toContainText('+12');
    await see(page.locator('table', { hasText: 'Campaigns in the file' })).toContainText('School fees');
    await screenshot(page, 'campaign-import-report-desktop');
    // A dry run writes nothing.
    expect(await herald.store.campaigns.getByName('default', 'School fees')).toBeNull();

    // Slow sending (5 a second per provider, 40 messages: about 4 s), so the page sees the bar move.
    for (const id of ['sms-a', 'sms-b']) await herald.store.providerControl.update(id, { ratePerSecond: 5 });
    await new Promise((r) => setTimeout(r, 800));
    await page.getByRole('button', { name: 'Confirm the import' }).click();
    await see(page.getByRole('status')).toContainText(`fees.csv imported: 1 campaign(s) created, ${RECIPIENTS} message(s) planned, 1 row(s) skipped.`);
    const c = await herald.store.campaigns.getByName('default', 'School fees');
    expect(c).not.toBeNull();
    const bar = page.locator(`progress[data-campaign="${c!.id}"]`);
    // Not done when the page was rendered: what follows is the live stream moving the bar.
    expect(Number(await bar.getAttribute('value'))).toBeLessThan(RECIPIENTS);
    await page.waitForFunction(
      ([sel, n]) => {
        const p = (globalThis as unknown as { document: { querySelector(s: string): { value: number; max: number } | null } }).document.querySelector(sel as string);
        return p !== null && p.max === n && p.value === p.max;
      },
      [`progress[data-campaign="${c!.id}"]`, RECIPIENTS] as const,
      { timeout: 30_000 },
    );
    await see(page.locator(`[data-field="campaign.${c!.id}.progress"]`)).toHaveText(`${RECIPIENTS} of ${RECIPIENTS} (100 %)`);
    await see(statusOf('School fees'), 15_000).toHaveText('completed');
    expect(await bar.getAttribute('max')).toBe(String(RECIPIENTS));
    for (const id of ['sms-a', 'sms-b']) await herald.store.providerControl.update(id, { ratePerSecond: undefined });

    // The campaign's page lists its messages; one opens with its history; a recipient's number finds it.
    await page.getByRole('link', { name: 'School fees' }).click();
    await see(page.locator('.pager')).toContainText(`1–25 of ${RECIPIENTS} messages`);
    await page.locator('table', { hasText: 'Messages of this campaign' }).locator('tbody tr a').first().click();
    await see(page.locator('table', { hasText: 'Every status this message went through' }).locator('tbody tr').last()).toContainText('sent');
    await page.goto(`${url}/dashboard/search?q=${encodeURIComponent(phone(7))}`);
    await page.getByRole('link', { name: 'campaign', exact: true }).click();
    await see(page.getByRole('heading', { level: 1 })).toHaveText('Campaign School fees');
    await page.goto(`${url}/dashboard/search?q=${c!.id}`);
    await see(page.getByRole('heading', { level: 1 })).toHaveText('Campaign School fees');
  });

  it('says which rows a file would be rejected for, and offers no confirmation then', async () => {
    await upload(csv('bad.csv', 'Broken', 'now', 2, ['"Bad time",+254720000099,Broken,next week,X']));
    await see(page.getByRole('alert')).toContainText('The file would be rejected');
    await see(page.locator('table', { hasText: 'Rejected rows' })).toContainText('sending_time');
    await see(page.getByRole('button', { name: 'Confirm the import' })).toHaveCount(0);
  });

  it('runs a scheduled campaign now, and pauses, resumes and cancels (with a confirmation) another', async () => {
    await upload(csv('later.csv', 'Later', 'tomorrow', 5));
    await page.getByRole('button', { name: 'Confirm the import' }).click();
    await see(statusOf('Later')).toHaveText('scheduled');
    await page.locator('tr', { has: page.getByRole('link', { name: 'Later' }) }).getByRole('button', { name: 'Run now' }).click();
    await see(page.getByRole('status')).toContainText('Campaign Later:');
    await page.goto(`${url}/dashboard/campaigns`);
    await see(statusOf('Later'), 20_000).toHaveText('completed');

    await upload(csv('held.csv', 'Held', 'tomorrow', 5));
    await page.getByRole('button', { name: 'Confirm the import' }).click();
    const row = () => page.locator('tr', { has: page.getByRole('link', { name: 'Held' }) });
    await row().getByRole('button', { name: 'Pause' }).click();
    await see(page.getByRole('status')).toContainText('Campaign Held: paused.');
    await page.getByRole('button', { name: 'Resume' }).click();
    await see(page.getByRole('status')).toContainText('Campaign Held:');
    expect((await herald.store.campaigns.getByName('default', 'Held'))!.status).not.toBe('paused');
    await page.getByRole('button', { name: 'Cancel…' }).click();
    await see(page.getByRole('heading', { level: 1 })).toHaveText('Confirm: cancel campaign');
    expect((await herald.store.campaigns.getByName('default', 'Held'))!.status).not.toBe('cancelled');
    await page.getByRole('button', { name: 'Yes, cancel it' }).click();
    await see(page.getByRole('status')).toContainText('Campaign Held: cancelled.');
  });

  it('refuses an upload without the CSRF token, and shows a viewer no upload and no button (a forged run is 403)', async () => {
    const noToken = await page.request.post(`${url}/dashboard/campaigns/import`, {
      multipart: { onError: 'skip', file: { name: 'x.csv', mimeType: 'text/csv', buffer: Buffer.from(fs.readFileSync(csv('x.csv', 'Forged', 'now', 1))) } },
    });
    expect(noToken.status()).toBe(403);
    expect(await herald.store.campaigns.getByName('default', 'Forged')).toBeNull();

    const held = (await herald.store.campaigns.getByName('default', 'Held'))!;
    await upload(csv('draft.csv', 'Quiet', 'tomorrow', 2));
    await page.getByRole('button', { name: 'Confirm the import' }).click();
    const quiet = (await herald.store.campaigns.getByName('default', 'Quiet'))!;
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    await signIn(p, url, await createKey(herald, 'viewer'));
    for (const path of ['/dashboard/campaigns', `/dashboard/campaigns/${held.id}`]) {
      await p.goto(`${url}${path}`);
      expect(await p.locator('form[method="post"]').evaluateAll((fs) => fs.map((f) => f.getAttribute('action')))).toEqual(['/dashboard/sign-out']);
      await see(p.locator('#csv-file')).toHaveCount(0);
    }
    const csrf = await p.locator('input[name="_csrf"]').first().inputValue();
    const forged = await p.request.post(`${url}/dashboard/campaigns/${quiet.id}/run`, { form: { _csrf: csrf } });
    expect(forged.status()).toBe(403);
    expect((await herald.store.campaigns.get(quiet.id))!.status).toBe('scheduled');
    await ctx.close();
  });

  it('has no serious or critical accessibility violation on the campaign pages, at both widths (screenshots saved)', async () => {
    const c = (await herald.store.campaigns.getByName('default', 'School fees'))!;
    const found: string[] = [];
    for (const w of WIDTHS) {
      await page.setViewportSize({ width: w.width, height: w.height });
      for (const [name, p] of [['campaigns', '/dashboard/campaigns'], ['campaign', `/dashboard/campaigns/${c.id}`]]) {
        await page.goto(`${url}${p}`);
        await screenshot(page, `${name}-${w.name}`);
        for (const v of await seriousViolations(page)) found.push(`${name} @${w.width}: ${v.id} ${v.help} ${JSON.stringify(v.nodes.slice(0, 3))}`);
      }
      await upload(csv('again.csv', 'School fees', 'now', 3));
      await screenshot(page, `campaign-import-report-${w.name}`);
      for (const v of await seriousViolations(page)) found.push(`report @${w.width}: ${v.id} ${v.help}`);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(found).toEqual([]);
  });
});
