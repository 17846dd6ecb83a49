// A message id holds its recipient's user id, which may be a phone number: log lines (stdout and
// the stored log) carry it masked, and GET /v1/logs still finds a message's lines by its full id.
import request from 'supertest';
import Transport from 'winston-transport';
import { createApp } from '../../src/http/app';
import { loadConfig } from '../../src/config';
import { attachStoreSink, createLogger, forMessage } from '../../src/log/logger';
import { createSqliteStore } from '../../src/store/sqlite';
import type { Store } from '../../src/store/store';
import { FakeNotifications } from './http.support';

class Capture extends Transport {
  lines: Array<Record<string, unknown>> = [];
  override log(info: Record<string, unknown>, next: () => void): void {
    this.lines.push({ ...info });
    next();
  }
}

const MESSAGE = { id: 'n-7:+358401234567:sms', notificationId: 'n-7', workspaceId: 'default' };

describe('message ids that hold a phone number', () => {
  let store: Store;
  beforeEach(async () => {
    store = createSqliteStore(':memory:');
    await store.connect();
  });
  afterEach(async () => store.close());

  it('are masked in every line, and /v1/logs finds the lines by the full id or the masked one', async () => {
    const logger = createLogger('worker-sms', { silent: true });
    const capture = new Capture();
    logger.add(capture);
    const sink = attachStoreSink(logger, store.logs);
    forMessage(logger, MESSAGE).info('message handed to provider', { userId: '+358401234567' });
    forMessage(logger, { ...MESSAGE, id: 'n-7:+358409999999:sms' }).info('another recipient');
    await sink.flush();

    expect(capture.lines[0]).toMatchObject({ messageId: 'n-7:+3584******67:sms', notificationId: 'n-7', userId: '+3584******67', workspaceId: 'default' });
    expect(JSON.stringify(capture.lines)).not.toContain('358401234567');

    const app = createApp({ store, notifications: new FakeNotifications(), config: loadConfig({}), logger: createLogger('t', { silent: true }) });
    for (const id of [MESSAGE.id, 'n-7:+3584******67:sms']) {
      const r = await request(app).get('/v1/logs').query({ messageId: id }).expect(200);
      expect(r.body.items.map((l: { message: string; messageId: string }) => [l.message, l.messageId])).toEqual([['message handed to provider', 'n-7:+3584******67:sms']]);
    }
    expect(JSON.stringify((await request(app).get('/v1/logs').expect(200)).body)).not.toContain('358401234567');
  });
});
