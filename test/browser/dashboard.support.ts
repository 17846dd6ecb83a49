// Browser tests of the dashboard: Herald with the demo data, Debian's chromium driven by
// playwright-core (no browser download), axe-core injected from node_modules, screenshots kept
// under test-results/screenshots (ignored by git).
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import type { RunningHerald } from '../../src/runtime';
import { createKeyService } from '../../src/services/tenancy/keys';
import { eventually, startTestHerald, testConfig, type Backend } from '../support/herald';

export const CHROMIUM = process.env.HERALD_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.join(__dirname, '..', '..', 'test-results', 'screenshots');
export const ADMIN_KEY = 'dashboard-test-admin-key-0123456789';
export const WIDTHS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 375, height: 800 },
] as const;

export function chromiumInstalled(): boolean {
  return fs.existsSync(CHROMIUM);
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** Herald with the demo data, a bootstrap admin key and two outbox SMS providers (sms-a first, sms-b second). */
export async function startDashboardHerald(backend: Backend, overrides: Record<string, unknown> = {}): Promise<RunningHerald> {
  const config = testConfig(backend, {
    seedDemoData: 'always',
    'log.level': 'info',
    'auth.adminKey': ADMIN_KEY,
    'providers.sms': [
      { id: 'sms-a', type: 'outbox', options: {} },
      { id: 'sms-b', type: 'outbox', options: {} },
    ],
    'providers.refreshMs': 200,
    'credits.streamCoalesceMs': 100,
    'credits.streamPollMs': 500,
    ...overrides,
  });
  return startTestHerald(config);
}

export async function createKey(herald: RunningHerald, role: 'viewer' | 'sender' | 'admin'): Promise<string> {
  const keys = createKeyService({ store: herald.store, config: herald.config });
  return (await keys.create('default', role, `dashboard ${role}`)).key;
}

/** Posts the demo notification (program 1, event type 1: four users, six messages) and waits until none is pending. */
export async function sendDemo(herald: RunningHerald): Promise<string> {
  const r = await request(herald.url!)
    .post('/v1/notifications')
    .set('Authorization', `Bearer ${ADMIN_KEY}`)
    .send({ programId: '1', eventTypeId: '1', startTime: new Date().toISOString() });
  if (r.status !== 202) throw new Error(`notification refused: ${r.status} ${r.text}`);
  const id = r.body.id as string;
  await eventually(
    'every demo message final',
    async () => {
      const c = await herald.store.messages.countByStatus(id);
      const total = Object.values(c).reduce((a, b) => a + (b ?? 0), 0);
      return total === 6 && !c.accepted && !c.queued && !c.sending && !c.scheduled;
    },
    30_000,
  );
  // Log lines reach the store in batches: pages that show them read them from there.
  await eventually('its log lines stored', async () => (await herald.store.logs.query({ notificationId: id, limit: 50 })).some((l) => l.message === 'notification accepted'), 10_000);
  return id;
}

export async function signIn(page: Page, url: string, key: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.waitForURL(/\/dashboard\/sign-in/);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => !u.pathname.includes('sign-in'));
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[] }>;
}

/** axe-core on the page as it is: the violations of impact serious or critical. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const result = await page.evaluate(async () => {
    const w = globalThis as unknown as { document: unknown; axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: AxeViolation[] }> } };
    return w.axe.run(w.document, { resultTypes: ['violations'] });
  });
  // A run that checked nothing would pass anything.
  if (!(result as unknown as { passes?: unknown[] }).passes?.length) throw new Error('axe-core checked no rule on this page');
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Web-first assertions without @playwright/test: each polls the locator until it holds (or the time
 * runs out), then fails with jest's message about the last value seen.
 */
export function see(locator: Locator, timeoutMs = 10_000) {
  async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, check: (v: T) => void): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: T | undefined;
    for (;;) {
      try {
        last = await read();
        if (ok(last)) return;
      } catch {
        // not there yet
      }
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    check(last as T);
  }
  const text = () => locator.textContent({ timeout: 1000 }).then((t) => (t ?? '').replace(/\s+/g, ' ').trim());
  return {
    toHaveText: (t: string) => until(text, (v) => v === t, (v) => expect(v).toBe(t)),
    toContainText: (t: string) => until(text, (v) => v.includes(t), (v) => expect(v).toContain(t)),
    toHaveCount: (n: number) => until(() => locator.count(), (v) => v === n, (v) => expect(v).toBe(n)),
    toBeVisible: () => until(() => locator.isVisible(), (v) => v, (v) => expect(v).toBe(true)),
    toHaveAttribute: (name: string, value: string) =>
      until(() => locator.getAttribute(name, { timeout: 1000 }), (v) => v === value, (v) => expect(v).toBe(value)),
    toHaveValue: (value: string) => until(() => locator.inputValue({ timeout: 1000 }), (v) => v === value, (v) => expect(v).toBe(value)),
  };
}
