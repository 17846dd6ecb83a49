// The dashboard in a real browser (Debian chromium through playwright-core) on the embedded store:
// sign-in, demo data, a message's history, pausing a provider, the live balance, what a viewer
// may not do, CSRF, keyboard use, and axe-core with screenshots of every page at both widths.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import type { RunningHerald } from '../../src/runtime';
import { disposeTestHerald, eventually } from '../support/herald';
import {
  ADMIN_KEY, WIDTHS, chromiumInstalled, see, createKey, launchBrowser, screenshot, seriousViolations, sendDemo, signIn, startDashboardHerald,
} from './dashboard.support';

jest.setTimeout(120_000);

let herald: RunningHerald;
let browser: Browser;
let admin: BrowserContext;
let page: Page;
let url: string;
let viewerKey: string;
let firstNotification: string;
/** What the browser said about the Content-Security-Policy on the signed-in admin's pages: must stay empty. */
const cspReports: string[] = [];

beforeAll(async () => {
  if (!chromiumInstalled()) throw new Error('chromium is not installed at /usr/bin/chromium: run scripts/test-services.sh (apt-get install -y chromium)');
  herald = await startDashboardHerald('embedded');
  url = herald.url!;
  viewerKey = await createKey(herald, 'viewer');
  firstNotification = await sendDemo(herald);
  browser = await launchBrowser();
  admin = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await admin.newPage();
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) cspReports.push(m.text());
  });
  await signIn(page, url, ADMIN_KEY);
});

afterAll(async () => {
  await browser?.close();
  await disposeTestHerald(herald);
});

const figure = (p: Page, field: string) => p.locator(`[data-field="${field}"]`).first();

describe('the dashboard in a browser', () => {
  it('refuses a wrong key, then signs in with an API key and shows the demo data on the overview', async () => {
    const other = await browser.newContext();
    const p = await other.newPage();
    await p.goto(`${url}/`);
    await p.waitForURL(/\/dashboard\/sign-in/);
    await p.getByLabel('API key').fill('hk_000000000000_not-a-key-at-all-not-a-key-at-all');
    await p.getByRole('button', { name: 'Sign in' }).click();
    await see(p.getByRole('alert')).toContainText('not valid');
    await other.close();

    await page.goto(`${url}/`);
    await see(page.getByRole('heading', { level: 1 })).toHaveText('Overview');
    expect(Number(await figure(page, 'totals.messages').textContent())).toBeGreaterThanOrEqual(6);
    expect(Number(await figure(page, 'today.sms.sent').textContent())).toBeGreaterThanOrEqual(3);
    expect(Number(await figure(page, 'today.email.sent').textContent())).toBeGreaterThanOrEqual(3);
    await see(figure(page, 'totals.deliveryRate')).toHaveText('100.0 %');
    await see(page.locator('[data-field="provider.sms-a.state"]')).toHaveText('active');
    await see(page.locator('.chart canvas').first()).toBeVisible();
  });

  it("opens a notification from the list and a message's status history", async () => {
    await page.goto(`${url}/`);
    await page.getByRole('link', { name: 'Notifications' }).click();
    await page.getByRole('link', { name: firstNotification }).click();
    await see(page.getByRole('heading', { level: 1 })).toHaveText(`Notification ${firstNotification}`);
    await see(page.locator('table').filter({ hasText: 'Messages of this notification' }).locator('tbody tr')).toHaveCount(6);
    await see(page.locator('table').filter({ hasText: 'Log lines of this notification' })).toContainText('notification accepted');
    await page.getByRole('link', { name: 'amina' }).click();
    const history = page.locator('table').filter({ hasText: 'Every status this message went through' });
    const statuses = await history.locator('tbody tr td:nth-child(2)').allTextContents();
    expect(statuses[0]).toBe('accepted');
    expect(statuses.at(-1)).toBe('sent');
    await see(page.locator('.facts')).toContainText('+254700000001');
  });

  it('finds a message by phone number in any format, and by e-mail', async () => {
    await page.goto(`${url}/`);
    await page.getByLabel('Find a message by phone, e-mail or id').fill('+254 700 000 001');
    await page.keyboard.press('Enter');
    await see(page.locator('table').filter({ hasText: 'Messages to' }).locator('tbody tr').first()).toContainText('+254700000001');
    await page.goto(`${url}/dashboard/search?q=BEN@example.org`);
    await see(page.locator('tbody tr').first()).toContainText('ben@example.org');
  });

  it('pauses a provider after a confirmation; the next messages go through the other one', async () => {
    await page.goto(`${url}/dashboard/providers`);
    await page.getByRole('button', { name: 'Pause sms-a…' }).click();
    await see(page.getByRole('heading', { level: 1 })).toHaveText('Confirm: change sms-a');
    // Nothing changes before the confirmation.
    expect((await herald.store.providerControl.get('sms-a'))!.paused).toBe(false);
    await page.getByRole('button', { name: 'Confirm' }).click();
    await see(page.getByRole('status')).toContainText('sms-a: pause it');
    await see(page.locator('#p-sms-a .badge')).toHaveText('paused');
    // Every worker reads the control state every 200 ms here: ten periods of slack.
    await new Promise((r) => setTimeout(r, 2000));
    const id = await sendDemo(herald);
    await page.goto(`${url}/dashboard/notifications/${id}`);
    const rows = page.locator('table').filter({ hasText: 'Messages of this notification' }).locator('tbody tr');
    const sms = rows.filter({ has: page.locator('td:nth-child(2)', { hasText: 'sms' }) });
    await see(sms).toHaveCount(3);
    expect(await sms.locator('td:nth-child(5)').allTextContents()).toEqual(['sms-b', 'sms-b', 'sms-b']);

    // Resume, with the same confirmation.
    await page.goto(`${url}/dashboard/providers`);
    await page.getByRole('button', { name: 'Resume sms-a…' }).click();
    await page.getByRole('button', { name: 'Confirm' }).click();
    await see(page.locator('#p-sms-a .badge')).toHaveText('active');
  });

  it('changes a rate limit at run time after a confirmation, and says which field is wrong', async () => {
    await page.goto(`${url}/dashboard/providers`);
    // The browser itself refuses 0 (min=1); the server refuses it too, naming the field.
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    const refused = await page.request.post(`${url}/dashboard/providers/sms-b`, { form: { _csrf: csrf, ratePerSecond: '0', confirm: 'yes' } });
    expect(await refused.text()).toContain('ratePerSecond: must be an integer from 1 to 100000');
    expect((await herald.store.providerControl.get('sms-b'))!.ratePerSecond).toBeUndefined();
    await page.goto(`${url}/dashboard/providers`);
    await page.locator('#p-sms-b-rate').fill('25');
    await page.locator('#p-sms-b').getByRole('button', { name: 'Change…' }).click();
    await see(page.locator('main')).toContainText('rate limit unlimited → 25 per second');
    expect((await herald.store.providerControl.get('sms-b'))!.ratePerSecond).toBeUndefined();
    await page.getByRole('button', { name: 'Confirm' }).click();
    await see(page.locator('#p-sms-b-rate')).toHaveValue('25');
    expect((await herald.store.providerControl.get('sms-b'))!.ratePerSecond).toBe(25);
  });

  it('shows the balance falling live after sends, without a reload', async () => {
    await page.goto(`${url}/`);
    const balance = page.locator('[data-live-balance]');
    const before = Number((await balance.textContent())!.replace(/,/g, ''));
    expect(before).toBeGreaterThan(0);
    await sendDemo(herald);
    await page.waitForFunction(
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      ([sel, was]) => Number((globalThis as any).document.querySelector(sel).textContent.replace(/,/g, '')) < (was as number),
      ['[data-live-balance]', before] as const,
      { timeout: 20_000 },
    );
    const account = await herald.store.credits.get('default');
    await see(balance).toHaveText(String(account!.balance! / 1000));
  });

  it('follows the log: new lines appear while following', async () => {
    await page.goto(`${url}/dashboard/logs?grep=notification%20accepted`);
    await page.getByLabel('Follow: add new lines as they come').check();
    await see(page.locator('#follow-state')).toHaveText('following');
    const id = await sendDemo(herald);
    await see(page.locator(`#log-lines a[href="/dashboard/notifications/${id}"]`), 15_000).toHaveCount(1);
    const seqs = await page.locator('#log-lines tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-seq')));
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('cancels a notification after a confirmation', async () => {
    const r = await request(url).post('/v1/notifications').set('Authorization', `Bearer ${ADMIN_KEY}`)
      .send({ programId: '1', eventTypeId: '1', startTime: new Date(Date.now() + 3_600_000).toISOString() });
    await page.goto(`${url}/dashboard/notifications/${r.body.id}`);
    await page.getByRole('button', { name: 'Cancel notification…' }).click();
    await page.getByRole('button', { name: 'Yes, cancel it' }).click();
    await see(page.getByRole('status')).toContainText('Notification cancelled');
    await see(page.locator('.facts .badge').first()).toHaveText('cancelled');
    expect((await herald.store.notifications.get(r.body.id))!.status).toBe('cancelled');
  });

  it('refuses a POST without the CSRF token, or with a wrong one (403), and changes nothing', async () => {
    const r = await request(url).post('/v1/notifications').set('Authorization', `Bearer ${ADMIN_KEY}`)
      .send({ programId: '1', eventTypeId: '1', startTime: new Date(Date.now() + 3_600_000).toISOString() });
    const target = `${url}/dashboard/notifications/${r.body.id}/cancel`;
    const none = await page.request.post(target, { form: { confirm: 'yes' } });
    expect(none.status()).toBe(403);
    const wrong = await page.request.post(target, { form: { confirm: 'yes', _csrf: 'x'.repeat(43) } });
    expect(wrong.status()).toBe(403);
    const pause = await page.request.post(`${url}/dashboard/providers/sms-a`, { form: { paused: 'true', confirm: 'yes' } });
    expect(pause.status()).toBe(403);
    expect((await herald.store.notifications.get(r.body.id))!.status).toBe('scheduled');
    expect((await herald.store.providerControl.get('sms-a'))!.paused).toBe(false);
  });

  it('shows a viewer no button that changes anything, and refuses a forged POST with 403', async () => {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    await signIn(p, url, viewerKey);
    await see(p.locator('[data-role]')).toHaveText('viewer');
    await see(p.getByRole('link', { name: 'Providers' })).toHaveCount(0);
    // Installation-wide state (providers, queues) is for admins, as in the API.
    await see(p.locator('[data-field^="queue."], [data-field^="provider."]')).toHaveCount(0);
    for (const path of ['/', `/dashboard/notifications`, `/dashboard/notifications/${firstNotification}`, '/dashboard/usage', '/dashboard/logs']) {
      await p.goto(`${url}${path}`);
      // The only POST form is signing out.
      expect(await p.locator('form[method="post"]').evaluateAll((fs) => fs.map((f) => f.getAttribute('action')))).toEqual(['/dashboard/sign-out']);
    }
    expect((await p.goto(`${url}/dashboard/providers`))!.status()).toBe(403);
    // A valid token of this session, and still refused: the role decides.
    await p.goto(`${url}/dashboard/notifications/${firstNotification}`);
    const csrf = await p.locator('input[name="_csrf"]').first().inputValue();
    const r = await request(url).post('/v1/notifications').set('Authorization', `Bearer ${ADMIN_KEY}`)
      .send({ programId: '1', eventTypeId: '1', startTime: new Date(Date.now() + 3_600_000).toISOString() });
    const forged = await p.request.post(`${url}/dashboard/notifications/${r.body.id}/cancel`, { form: { _csrf: csrf, confirm: 'yes' } });
    expect(forged.status()).toBe(403);
    const pause = await p.request.post(`${url}/dashboard/providers/sms-a`, { form: { _csrf: csrf, paused: 'true', confirm: 'yes' } });
    expect(pause.status()).toBe(403);
    expect((await herald.store.notifications.get(r.body.id))!.status).toBe('scheduled');
    expect((await herald.store.providerControl.get('sms-a'))!.paused).toBe(false);
    await ctx.close();
  });

  it('is usable with the keyboard: skip link first, then the navigation', async () => {
    await page.goto(`${url}/dashboard/notifications`);
    await page.keyboard.press('Tab');
    await see(page.locator(':focus')).toHaveText('Skip to content');
    await page.keyboard.press('Enter');
    await see(page.locator(':focus')).toHaveAttribute('id', 'main');
    await page.goto(`${url}/dashboard/notifications`);
    for (let i = 0; i < 3; i++) await page.keyboard.press('Tab');
    await see(page.locator(':focus')).toHaveText('Overview');
    await page.keyboard.press('Enter');
    await see(page.getByRole('heading', { level: 1 })).toHaveText('Overview');
  });

  it('has no serious or critical accessibility violation on any page, at 1280 and at 375 px (screenshots saved)', async () => {
    const msg = (await herald.store.messages.list(firstNotification, {}, { limit: 1, offset: 0 })).items[0];
    const pages: Array<[string, string]> = [
      ['overview', '/'],
      ['notifications', '/dashboard/notifications'],
      ['notification', `/dashboard/notifications/${firstNotification}`],
      ['message', `/dashboard/messages/${encodeURIComponent(msg.id)}`],
      ['providers', '/dashboard/providers'],
      ['usage', '/dashboard/usage'],
      ['log', '/dashboard/logs'],
      ['search', '/dashboard/search?q=%2B254700000001'],
    ];
    // axe is injected as a script tag, which the dashboard's own CSP refuses: this context alone bypasses it.
    const ctx = await browser.newContext({ bypassCSP: true });
    const page = await ctx.newPage();
    await signIn(page, url, ADMIN_KEY);
    const found: string[] = [];
    for (const w of WIDTHS) {
      await page.setViewportSize({ width: w.width, height: w.height });
      for (const [name, path] of pages) {
        await page.goto(`${url}${path}`);
        await page.waitForLoadState('load');
        await screenshot(page, `${name}-${w.name}`);
        for (const v of await seriousViolations(page)) found.push(`${name} @${w.width}: ${v.id} (${v.impact}) ${v.help} ${JSON.stringify(v.nodes.slice(0, 3))}`);
        if (w.name === 'phone') {
          // Nothing wider than the screen but the tables' own scrolling regions.
          const overflow = await page.evaluate(() => {
            const w = globalThis as unknown as { innerWidth: number; document: { documentElement: { scrollWidth: number } } };
            return w.document.documentElement.scrollWidth - w.innerWidth;
          });
          expect({ name, overflow }).toEqual({ name, overflow: 0 });
        }
      }
    }
    // The confirmation step and the sign-in page too.
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${url}/dashboard/providers`);
    await page.getByRole('button', { name: 'Pause sms-b…' }).click();
    await see(page.getByRole('heading', { level: 1 })).toHaveText('Confirm: change sms-b');
    await screenshot(page, 'provider-confirm-desktop');
    for (const v of await seriousViolations(page)) found.push(`provider confirm: ${v.id} ${v.help}`);
    const visitor = await (await browser.newContext({ bypassCSP: true })).newPage();
    for (const w of WIDTHS) {
      await visitor.setViewportSize({ width: w.width, height: w.height });
      await visitor.goto(`${url}/dashboard/sign-in`);
      await screenshot(visitor, `sign-in-${w.name}`);
      for (const v of await seriousViolations(visitor)) found.push(`sign-in @${w.width}: ${v.id} ${v.help}`);
    }
    // The check itself sees a violation when there is one (an image without a text alternative).
    await page.evaluate(() => (globalThis as unknown as { document: { body: { insertAdjacentHTML(w: string, h: string): void } } }).document.body.insertAdjacentHTML('beforeend', '<img src="data:,">'));
    expect((await seriousViolations(page)).map((v) => v.id)).toContain('image-alt');
    await ctx.close();
    expect(found).toEqual([]);
    expect((await herald.store.providerControl.get('sms-b'))!.paused).toBe(false);
  });

  it('runs every page under its Content-Security-Policy without a violation (no inline script or style)', async () => {
    const r = await page.request.get(`${url}/`, { headers: { Accept: 'text/html' } });
    expect(r.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(r.headers()['content-security-policy']).not.toContain('unsafe-inline');
    expect(cspReports).toEqual([]);
  });

  it('answers every page in under 200 ms of server time (Server-Timing)', async () => {
    const paths = ['/', '/dashboard/notifications', `/dashboard/notifications/${firstNotification}`, '/dashboard/providers', '/dashboard/usage', '/dashboard/logs', '/dashboard/search?q=%2B254700000001'];
    for (const p of paths) {
      // The best of three: a moment of a busy shared machine does not decide it.
      let dur = Infinity;
      for (let i = 0; i < 3 && !(dur < 200); i++) {
        const r = await page.request.get(`${url}${p}`, { headers: { Accept: 'text/html' } });
        expect(r.status()).toBe(200);
        dur = Math.min(dur, Number(/dur=([\d.]+)/.exec(r.headers()['server-timing'] ?? '')?.[1]));
      }
      expect({ p, dur, fast: dur < 200 }).toEqual({ p, dur, fast: true });
    }
  });
});

void eventually;
