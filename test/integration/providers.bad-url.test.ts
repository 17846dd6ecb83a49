// A provider URL that cannot be called is the provider's configuration, not the message's nor the
// network's: refused at start-up, naming the provider and the option, when the options can tell; else
// (a placeholder that makes the URL invalid at send time) the message ends with a typed, non-retryable
// CONFIG error naming the provider, never a bare TypeError recorded as UNKNOWN.
import request from 'supertest';
import type { RunningHerald } from '../../src/runtime';
import { disposeTestHerald, eventually, startTestHerald, testConfig } from '../support/herald';
import { startFakeGateway } from '../support/fake-sms-apis';

jest.setTimeout(60_000);

const httpProvider = (url: string) => ({ id: 'gw-bad', type: 'http', options: { url, timeoutMs: 2_000 } });

describe('a provider URL that cannot be called', () => {
  let herald: RunningHerald | undefined;
  afterEach(async () => {
    await disposeTestHerald(herald);
    herald = undefined;
  });

  it('is refused at start-up, naming the provider and its option', async () => {
    const config = testConfig('embedded', { 'providers.sms': [httpProvider('http://127.0.0.1:99999/send')] });
    const started = startTestHerald(config);
    await expect(started).rejects.toThrow(/provider 'gw-bad' \(http\): option 'url' is not a valid URL/);
    herald = await started.catch(() => undefined);
  });

  it.each([
    ['vonage', 'baseUrl', { apiKey: 'k', apiSecret: 's', from: 'Herald', baseUrl: 'ftp://127.0.0.1/' }, /is not an http\(s\) URL \(ftp:\)/],
    ['infobip', 'baseUrl', { apiKey: 'k', baseUrl: 'http://127.0.0.1:99999' }, /is not a valid URL/],
    ['africastalking', 'baseUrl', { username: 'u', apiKey: 'k', baseUrl: 'file:///etc/passwd' }, /is not an http\(s\) URL \(file:\)/],
  ])('a %s provider whose %s cannot be called is refused at start-up', async (type, key, options, why) => {
    const config = testConfig('embedded', { 'providers.sms': [{ id: 'vendor-bad', type, options }] });
    // A Herald that did start is kept for afterEach to stop, so a failing case does not leave it running.
    const refused = await startTestHerald(config).then((h) => void (herald = h), (e: Error) => e);
    expect(refused?.message).toMatch(new RegExp(`vendor-bad.*${key}`));
    expect(refused?.message).toMatch(why);
  });

  /** One subscriber, one notification: resolves the message once it has ended. */
  async function sendOne(h: RunningHerald) {
    const store = h.store;
    await store.programs.create('default', { id: 'p', name: 'P' });
    await store.eventTypes.create('default', { id: 'e', programId: 'p', name: 'E', templates: { sms: { text: 'Hi {{user.name}}' } } });
    await store.users.create('default', { id: 'u1', name: 'Ann', phone: '+254700000001' });
    await store.subscriptions.create('default', { id: 's1', userId: 'u1', programId: 'p', channels: ['sms'] });
    const r = await request(h.url!).post('/v1/notifications').send({ programId: 'p', eventTypeId: 'e', startTime: new Date().toISOString() });
    expect(r.status).toBe(202);
    return eventually('the message ended', async () => {
      const msg = await store.messages.get(`${r.body.id}:u1:sms`);
      return msg && ['failed', 'sent'].includes(msg.status) ? msg : undefined;
    }, 20_000);
  }
  // A port of the seconds the message has left: 1 in the start-up check, far above 65535 for a message valid for hours.
  const invalidAtSend = 'http://127.0.0.1:{{validForS}}/send';

  it('made invalid by a placeholder at send time, fails the message with CONFIG, once, naming the provider', async () => {
    herald = await startTestHerald(testConfig('embedded', { 'providers.sms': [httpProvider(invalidAtSend)] }));
    const m = await sendOne(herald);
    expect(m).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'CONFIG', message: "gw-bad: the provider's URL is not a valid URL" } });
  });

  it('a header option undici refuses (a line break in a key) fails the message once with CONFIG, never marked possibleDuplicate', async () => {
    const gateway = await startFakeGateway();
    try {
      const withBadHeader = { id: 'gw-bad', type: 'http', options: { url: `${gateway.url}/send`, headers: { Authorization: 'Bearer k\r\n' }, timeoutMs: 2_000 } };
      herald = await startTestHerald(testConfig('embedded', { 'providers.sms': [withBadHeader] }));
      const m = await sendOne(herald);
      expect(m).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'CONFIG' } });
      expect(m.possibleDuplicate).toBeFalsy();
      expect(gateway.received).toHaveLength(0);
    } finally {
      await disposeTestHerald(herald);
      herald = undefined;
      await gateway.close();
    }
  });

  it('made invalid at send time, hands the message to the next provider at once', async () => {
    const gateway = await startFakeGateway();
    try {
      const good = { id: 'gw-good', type: 'http', options: { url: `${gateway.url}/send`, timeoutMs: 2_000 } };
      herald = await startTestHerald(testConfig('embedded', { 'providers.sms': [httpProvider(invalidAtSend), good] }));
      const m = await sendOne(herald);
      expect(m).toMatchObject({ status: 'sent', provider: 'gw-good' });
      expect(m.statusHistory.filter((h) => h.reason === 'refused by provider: CONFIG').map((h) => h.provider)).toEqual(['gw-bad']);
      expect(gateway.received).toHaveLength(1);
    } finally {
      await disposeTestHerald(herald);
      herald = undefined;
      await gateway.close();
    }
  });
});
