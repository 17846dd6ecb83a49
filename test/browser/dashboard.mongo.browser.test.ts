// The list and detail pages in a browser on MongoDB + RabbitMQ: the same pages as on the embedded
// store, with no serious or critical accessibility violation (screenshots saved beside the others).
import type { Browser, Page } from 'playwright-core';
import type { RunningHerald } from '../../src/runtime';
import { disposeTestHerald } from '../support/herald';
import { requireServices } from '../support/services';
import { ADMIN_KEY, chromiumInstalled, launchBrowser, screenshot, see, sendDemo, seriousViolations, signIn, startDashboardHerald } from './dashboard.support';

jest.setTimeout(120_000);

let herald: RunningHerald;
let browser: Browser;
let page: Page;
let id: string;

beforeAll(async () => {
  if (!chromiumInstalled()) throw new Error('chromium is not installed at /usr/bin/chromium: run scripts/test-services.sh');
  await requireServices(['mongo', 'amqp']);
  herald = await startDashboardHerald('real');
  id = await sendDemo(herald);
  browser = await launchBrowser();
  // axe is injected as a script tag, which the dashboard's CSP refuses: this context bypasses it.
  page = await (await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 800 } })).newPage();
  await signIn(page, herald.url!, ADMIN_KEY);
});

afterAll(async () => {
  await browser?.close();
  await disposeTestHerald(herald);
});

it('lists notifications, opens one and a message history on MongoDB, accessibly', async () => {
  const found: string[] = [];
  const check = async (name: string) => {
    await screenshot(page, `mongo-${name}-desktop`);
    for (const v of await seriousViolations(page)) found.push(`${name}: ${v.id} ${v.help}`);
  };
  await page.goto(`${herald.url}/dashboard/notifications`);
  await check('notifications');
  await page.getByRole('link', { name: id }).click();
  await see(page.locator('table').filter({ hasText: 'Messages of this notification' }).locator('tbody tr')).toHaveCount(6);
  await check('notification');
  await page.getByRole('link', { name: 'chloe' }).first().click();
  await see(page.locator('table').filter({ hasText: 'Every status this message went through' }).locator('tbody tr').last()).toContainText('sent');
  await check('message');
  await page.goto(`${herald.url}/dashboard/search?q=dev%40example.org`);
  await see(page.locator('tbody tr').first()).toContainText('dev@example.org');
  await check('search');
  expect(found).toEqual([]);
});
