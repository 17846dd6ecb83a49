// The dashboard over HTTP, without a browser: `/` negotiates HTML or JSON, sign-in and its cookie,
// protected mode, and the list and detail pages on both stores (embedded SQLite, MongoDB + RabbitMQ).
import request from 'supertest';
import type { RunningHerald } from '../../src/runtime';
import { createKeyService } from '../../src/services/tenancy/keys';
import { disposeTestHerald, eventually, startTestHerald, testConfig, type Backend } from '../support/herald';
import { requireServices } from '../support/services';
import { ADMIN_KEY, sendDemo, startDashboardHerald } from '../browser/dashboard.support';

const HTML = { Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

const csrfOf = (text: string): string => /name="_csrf" value="([^"]+)"/.exec(text)![1];
const cookieOf = (r: request.Response): string => String((r.headers['set-cookie'] as unknown as string[] | undefined)?.[0] ?? '');

/** An agent signed in with `key` (the cookie jar keeps the session). */
async function signedIn(url: string, key: string) {
  const agent = request.agent(url);
  const form = await agent.get('/dashboard/sign-in').set(HTML);
  const r = await agent.post('/dashboard/sign-in').type('form').send({ _csrf: csrfOf(form.text), key, next: '/' });
  expect(r.status).toBe(303);
  return agent;
}

describe.each<Backend>(['embedded', 'real'])('dashboard pages on the %s store', (backend) => {
  let herald: RunningHerald;
  let agent: ReturnType<typeof request.agent>;
  let id: string;

  beforeAll(async () => {
    if (backend === 'real') await requireServices(['mongo', 'amqp']);
    herald = await startDashboardHerald(backend);
    id = await sendDemo(herald);
    agent = await signedIn(herald.url!, ADMIN_KEY);
  }, 60_000);
  afterAll(() => disposeTestHerald(herald));

  it('lists notifications newest first, filtered by program, status and creation time, naming a bad filter', async () => {
    const all = await agent.get('/dashboard/notifications').set(HTML);
    expect(all.status).toBe(200);
    expect(all.text).toContain(`href="/dashboard/notifications/${id}"`);
    expect((await agent.get('/dashboard/notifications?status=dispatched&program=1').set(HTML)).text).toContain(id);
    expect((await agent.get('/dashboard/notifications?program=nope').set(HTML)).text).toContain('No notification matches.');
    const future = new Date(Date.now() + 3_600_000).toISOString().slice(0, 16);
    expect((await agent.get(`/dashboard/notifications?from=${future}`).set(HTML)).text).toContain('No notification matches.');
    expect((await agent.get(`/dashboard/notifications?to=${future}`).set(HTML)).text).toContain(id);
    const bad = await agent.get('/dashboard/notifications?status=bogus&from=yesterday').set(HTML);
    expect(bad.text).toMatch(/status: must be one of scheduled, accepted/);
    expect(bad.text).toContain('created from: must be a date and time');
  });

  it("shows a notification's window, counts, messages and log lines; an unknown id is a 404 page", async () => {
    const r = await agent.get(`/dashboard/notifications/${id}`).set(HTML);
    expect(r.status).toBe(200);
    expect(r.text).toContain('Messages</dt><dd>6 (sent 6)');
    expect(r.text.match(/href="\/dashboard\/messages\//g)).toHaveLength(6);
    // Log lines reach the store in batches: the page shows them once they are there.
    await eventually('the log line on the page', async () => (await agent.get(`/dashboard/notifications/${id}`).set(HTML)).text.includes('notification accepted'), 10_000);
    const missing = await agent.get('/dashboard/notifications/nope').set(HTML);
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('notification &#39;nope&#39; not found');
  });

  it("shows a message's status history, and finds it by phone, e-mail or id", async () => {
    const m = (await herald.store.messages.list(id, { channel: 'sms' }, { limit: 10, offset: 0 })).items.find((x) => x.userId === 'amina')!;
    const r = await agent.get(`/dashboard/messages/${encodeURIComponent(m.id)}`).set(HTML);
    expect(r.status).toBe(200);
    const from = r.text.indexOf('Every status this message went through');
    const history = r.text.slice(from, r.text.indexOf('</table>', from));
    expect([...history.matchAll(/<span class="badge \w+">(\w+)<\/span>/g)].map((x) => x[1])).toEqual(['accepted', 'queued', 'sending', 'sent']);
    const byPhone = await agent.get('/dashboard/search').query({ q: '254 700 000 001' }).set(HTML);
    expect(byPhone.text).toContain(`/dashboard/messages/${encodeURIComponent(m.id)}`);
    expect((await agent.get('/dashboard/search').query({ q: 'Ben@Example.org' }).set(HTML)).text).toContain('ben@example.org');
    const byId = await agent.get('/dashboard/search').query({ q: m.id }).set(HTML);
    expect(byId.status).toBe(303);
    expect(byId.headers.location).toBe(`/dashboard/messages/${encodeURIComponent(m.id)}`);
    expect((await agent.get('/dashboard/search').query({ q: '+19999999999' }).set(HTML)).text).toContain('No message to this address');
  });

  it('lists campaigns with their progress and shows one with its messages', async () => {
    const c = await herald.campaigns.service.create('default', { name: `Fees ${backend}`, message: 'Fees are due', recipients: [{ phone: '+254711000001' }, { phone: '+254711000002' }] });
    const list = await agent.get('/dashboard/campaigns').set(HTML);
    expect(list.status).toBe(200);
    expect(list.text).toContain(`Fees ${backend}`);
    expect(list.text).toContain(`<progress data-campaign="${c.id}" value="0" max="2"`);
    const detail = await agent.get(`/dashboard/campaigns/${c.id}`).set(HTML);
    expect(detail.status).toBe(200);
    expect(detail.text).toContain('2 messages, 2 segments');
    expect(detail.text).toContain('Run now');
    expect((await agent.get('/dashboard/campaigns/nope').set(HTML)).status).toBe(404);
  });

  it('charts usage from the rollups and downloads the interval as CSV', async () => {
    const day = new Date().toISOString().slice(0, 10);
    const r = await agent.get('/dashboard/usage').query({ start: day, every: '1hour', end: new Date(Date.now() + 86_400_000).toISOString().slice(0, 10) }).set(HTML);
    expect(r.status).toBe(200);
    expect(r.text).toContain('data-chart="usage-status"');
    const csvLink = /href="(\/dashboard\/exports\/messages\.csv\?[^"]+)"/.exec(r.text)![1].replace(/&amp;/g, '&');
    const csv = await agent.get(csvLink);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.text.trim().split('\n')).toHaveLength(7);
    expect((await agent.get('/dashboard/usage?every=2week').set(HTML)).text).toContain('step: must be one of');
  });
});

describe('the dashboard door', () => {
  let herald: RunningHerald;
  afterEach(() => disposeTestHerald(herald));

  it('serves HTML at / to a browser and the JSON index to API clients; no sign-in from this machine in protected mode', async () => {
    herald = await startTestHerald(testConfig('embedded', { seedDemoData: 'always' }));
    const api = await request(herald.url!).get('/');
    expect(api.body).toEqual({ name: 'herald', docs: '/docs', openapi: '/openapi.json', health: '/health' });
    // The rest of `/` is the API's as before: OPTIONS is not served there.
    expect((await request(herald.url!).options('/').set(HTML)).status).toBe(405);
    const json = await request(herald.url!).get('/').set('Accept', 'application/json');
    expect(json.headers['content-type']).toMatch(/application\/json/);
    const page = await request(herald.url!).get('/').set(HTML);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('<h1>Overview</h1>');
    expect(page.text).toContain('(this machine)');
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
    // Relayed by a proxy, the caller is not this machine: protected mode refuses it.
    const relayed = await request(herald.url!).get('/').set(HTML).set('X-Forwarded-For', '203.0.113.9');
    expect(relayed.status).toBe(403);
    expect(relayed.text).toContain('protected mode');
  });

  it('with keys: signs in, with an HttpOnly SameSite=Strict cookie (Secure behind HTTPS), a fresh session id, and out', async () => {
    herald = await startDashboardHerald('embedded');
    const url = herald.url!;
    const first = await request(url).get('/').set(HTML);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/dashboard/sign-in?next=%2F');
    const visitor = cookieOf(first);
    expect(visitor).toMatch(/HttpOnly/);
    expect(visitor).toMatch(/SameSite=Strict/);
    expect(visitor).not.toMatch(/Secure/);
    expect(cookieOf(await request(url).get('/dashboard/sign-in').set('X-Forwarded-Proto', 'https'))).toMatch(/; Secure/);

    const agent = request.agent(url);
    const form = await agent.get('/dashboard/sign-in').set(HTML);
    const before = cookieOf(form).split(';')[0];
    const wrong = await agent.post('/dashboard/sign-in').type('form').send({ _csrf: csrfOf(form.text), key: 'not-a-key' });
    expect(wrong.status).toBe(401);
    const noCsrf = await agent.post('/dashboard/sign-in').type('form').send({ key: ADMIN_KEY });
    expect(noCsrf.status).toBe(403);
    // An address outside this site is never a place to go after signing in.
    const ok = await agent.post('/dashboard/sign-in').type('form').send({ _csrf: csrfOf(form.text), key: ADMIN_KEY, next: '//evil.example/' });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe('/');
    expect(cookieOf(ok).split(';')[0]).not.toBe(before);
    const overview = await agent.get('/').set(HTML);
    expect(overview.status).toBe(200);
    const out = await agent.post('/dashboard/sign-out').type('form').send({ _csrf: csrfOf(overview.text) });
    expect(out.status).toBe(303);
    expect((await agent.get('/').set(HTML)).status).toBe(303);
  });

  it('answers 429 after ten wrong keys in a minute from one address, even to the right key', async () => {
    herald = await startDashboardHerald('embedded');
    const agent = request.agent(herald.url!);
    const csrf = csrfOf((await agent.get('/dashboard/sign-in').set(HTML)).text);
    for (let i = 0; i < 10; i++) expect((await agent.post('/dashboard/sign-in').type('form').send({ _csrf: csrf, key: `wrong-${i}` })).status).toBe(401);
    const blocked = await agent.post('/dashboard/sign-in').type('form').send({ _csrf: csrf, key: ADMIN_KEY });
    expect(blocked.status).toBe(429);
    expect(blocked.text).toContain('Too many wrong keys');
  });

  it('ends the session of a key that is revoked', async () => {
    herald = await startDashboardHerald('embedded');
    const keys = createKeyService({ store: herald.store, config: herald.config });
    const { key, record } = await keys.create('default', 'viewer', 'soon revoked');
    const agent = await signedIn(herald.url!, key);
    expect((await agent.get('/dashboard/notifications').set(HTML)).status).toBe(200);
    await keys.revoke('default', record.id);
    const after = await agent.get('/dashboard/notifications').set(HTML);
    expect(after.status).toBe(303);
    expect(after.headers.location).toMatch(/^\/dashboard\/sign-in/);
  });
});
