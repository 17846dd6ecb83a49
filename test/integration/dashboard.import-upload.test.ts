// The dashboard's CSV upload spools the file part while the form is read. A body cut short (a client
// that stops mid-file, a proxy that truncates) fails the form and the spooling both: the page answers
// with an error, and the process must not see an unhandled rejection (Node ends the process on one).
import request from 'supertest';
import type { RunningHerald } from '../../src/runtime';
import { disposeTestHerald } from '../support/herald';
import { ADMIN_KEY, startDashboardHerald } from '../browser/dashboard.support';

const HTML = { Accept: 'text/html' };
const csrfOf = (text: string): string => /name="_csrf" value="([^"]+)"/.exec(text)![1];

describe('dashboard CSV upload cut short', () => {
  let herald: RunningHerald;
  beforeAll(async () => {
    herald = await startDashboardHerald('embedded');
  }, 60_000);
  afterAll(() => disposeTestHerald(herald));

  it('answers with an error and leaves no unhandled rejection', async () => {
    const agent = request.agent(herald.url!);
    const form = await agent.get('/dashboard/sign-in').set(HTML);
    await agent.post('/dashboard/sign-in').type('form').send({ _csrf: csrfOf(form.text), key: ADMIN_KEY, next: '/' });
    const csrf = csrfOf((await agent.get('/dashboard/campaigns').set(HTML)).text);
    const b = 'herald-test-boundary';
    // The file part never ends: no closing boundary.
    const body =
      `--${b}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n` +
      `--${b}\r\nContent-Disposition: form-data; name="file"; filename="c.csv"\r\nContent-Type: text/csv\r\n\r\nmessage,recepient_nos\r\nhello,+2547`;
    const unhandled: unknown[] = [];
    const record = (e: unknown): number => unhandled.push(e);
    process.on('unhandledRejection', record);
    try {
      const r = await agent.post('/dashboard/campaigns/import').set('Content-Type', `multipart/form-data; boundary=${b}`).set(HTML).send(body);
      for (let i = 0; i < 20; i++) await new Promise((done) => setImmediate(done));
      expect(unhandled.map((e) => (e as Error).message)).toEqual([]);
      expect(r.status).toBe(303);
      const page = await agent.get('/dashboard/campaigns').set(HTML);
      expect(page.text).toContain('the upload was cut short');
    } finally {
      process.off('unhandledRejection', record);
    }
  });
});
