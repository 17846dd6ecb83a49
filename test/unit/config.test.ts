import { ConfigError } from '../../src/domain/errors';
import { loadConfig } from '../../src/config';

describe('configuration', () => {
  it('has working defaults: port 8080, embedded store and queue, 48 h validity, 918-character SMS', () => {
    const c = loadConfig({});
    expect(c.dispatchPort).toBe(8080);
    expect(c.mongodbUri).toBeUndefined();
    expect(c.amqpUrl).toBeUndefined();
    expect(c.validityHours).toBe(48);
    expect(c.sms.maxLength).toBe(918);
    expect(c.providers).toEqual({ sms: [], email: [], refreshMs: 1000, circuitFailures: 5, circuitOpenMs: 30000, rateGuardMs: 100 });
  });

  it('takes environment overrides', () => {
    const c = loadConfig({ DISPATCH_PORT: '9090', MONGODB_URI: 'mongodb://127.0.0.1:27017/h', SMS_MAX_LENGTH: '160', HERALD_LOG_TO_STORE: 'false' });
    expect(c.dispatchPort).toBe(9090);
    expect(c.mongodbUri).toBe('mongodb://127.0.0.1:27017/h');
    expect(c.sms.maxLength).toBe(160);
    expect(c.log.toStore).toBe(false);
  });

  it.each([
    [{ DISPATCH_PORT: 'eighty' }, /DISPATCH_PORT must be an integer \(got 'eighty'\)/],
    [{ DISPATCH_PORT: '70000' }, /dispatchPort \(DISPATCH_PORT\)/],
    [{ MONGODB_URI: 'postgres://x' }, /mongodbUri \(MONGODB_URI\) must start with mongodb:\/\//],
    [{ LOG_LEVEL: 'loud' }, /log\.level \(LOG_LEVEL\)/],
    [{ HERALD_SMS_PROVIDERS: '[{' }, /HERALD_SMS_PROVIDERS must be valid JSON/],
    [{ HERALD_CONFIG: '/nonexistent/herald.json' }, /cannot read \/nonexistent\/herald.json/],
  ])('refuses %j with one line naming it', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('turns TWILIO_* and SMTP_* variables into provider instances', () => {
    const c = loadConfig({ TWILIO_ACCOUNT_SID: 'AC1', TWILIO_AUTH_TOKEN: 't', TWILIO_FROM: '+15005550006', SMTP_URL: 'smtp://127.0.0.1:2525' });
    expect(c.providers.sms).toEqual([
      expect.objectContaining({ id: 'twilio', type: 'twilio', channel: 'sms', options: expect.objectContaining({ accountSid: 'AC1', from: '+15005550006' }) }),
    ]);
    expect(c.providers.email[0]).toEqual(expect.objectContaining({ type: 'smtp', channel: 'email' }));
  });
});
