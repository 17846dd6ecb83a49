// Secrets from files: <NAME>_FILE for every variable Herald reads, `<option>File` in provider lists.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/domain/errors';
import { envNames, loadConfig } from '../../src/config';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-secrets-'));
const secret = (name: string, value: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, value);
  return file;
};
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('secrets as files', () => {
  it('reads TWILIO_AUTH_TOKEN_FILE, SMTP_URL_FILE and HERALD_KEY_FILE, without the trailing newline', () => {
    const c = loadConfig({
      TWILIO_ACCOUNT_SID: 'AC1',
      TWILIO_AUTH_TOKEN_FILE: secret('twilio', 'tok-123\n'),
      SMTP_URL_FILE: secret('smtp', 'smtp://u:p@127.0.0.1:2525\n'),
      HERALD_KEY_FILE: secret('key', 'hk_live_abc'),
    });
    expect(c.providers.sms[0].options.authToken).toBe('tok-123');
    expect(c.providers.email[0].options.url).toBe('smtp://u:p@127.0.0.1:2525');
    expect(c.cli.key).toBe('hk_live_abc');
  });

  it('honours <NAME>_FILE for every variable Herald reads, the configuration table included', () => {
    expect(envNames()).toEqual(expect.arrayContaining(['MONGODB_URI', 'AMQP_URL', 'HERALD_SMS_PROVIDERS', 'TWILIO_AUTH_TOKEN', 'SMTP_URL', 'HERALD_KEY']));
    const c = loadConfig({ MONGODB_URI_FILE: secret('mongo', 'mongodb://u:p@127.0.0.1:27017/h\n'), DISPATCH_PORT_FILE: secret('port', '9091') });
    expect(c.mongodbUri).toBe('mongodb://u:p@127.0.0.1:27017/h');
    expect(c.dispatchPort).toBe(9091);
  });

  it('refuses both forms at once, and a file it cannot read, naming the variable', () => {
    expect(() => loadConfig({ SMTP_URL: 'smtp://a', SMTP_URL_FILE: secret('s2', 'smtp://b') })).toThrow(/set SMTP_URL or SMTP_URL_FILE, not both/);
    expect(() => loadConfig({ TWILIO_AUTH_TOKEN_FILE: '/nonexistent/token' })).toThrow(ConfigError);
    expect(() => loadConfig({ TWILIO_AUTH_TOKEN_FILE: '/nonexistent/token' })).toThrow(/TWILIO_AUTH_TOKEN_FILE: cannot read \/nonexistent\/token/);
  });

  it('reads provider options given as <option>File, e.g. a Google service account key path', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----';
    const providers = [{ id: 'gmail', type: 'gmail', options: { from: 'Herald <h@example.org>', clientEmail: 'sa@example.iam.gserviceaccount.com', privateKeyFile: secret('pem', `${pem}\n`) } }];
    const c = loadConfig({ HERALD_EMAIL_PROVIDERS: JSON.stringify(providers) });
    expect(c.providers.email[0].options).toEqual({ from: 'Herald <h@example.org>', clientEmail: 'sa@example.iam.gserviceaccount.com', privateKey: pem });
    const both = [{ id: 'v', type: 'vonage', options: { apiSecret: 'x', apiSecretFile: secret('v', 'y') } }];
    expect(() => loadConfig({ HERALD_SMS_PROVIDERS: JSON.stringify(both) })).toThrow(/provider 'v': set option 'apiSecret' or 'apiSecretFile', not both/);
  });
});

describe('settings of this release', () => {
  it('masks log lines by default, takes a log format, a phone region and the client URL', () => {
    const d = loadConfig({});
    expect([d.log.maskPersonalData, d.log.format, d.phone.defaultRegion, d.cli.url]).toEqual([true, 'auto', undefined, 'http://127.0.0.1:8080']);
    const c = loadConfig({ HERALD_LOG_MASK: 'false', LOG_FORMAT: 'json', HERALD_PHONE_REGION: 'KE', HERALD_URL: 'http://10.0.0.5:8080' });
    expect([c.log.maskPersonalData, c.log.format, c.phone.defaultRegion, c.cli.url]).toEqual([false, 'json', 'KE', 'http://10.0.0.5:8080']);
    expect(() => loadConfig({ HERALD_PHONE_REGION: 'Kenya' })).toThrow(/phone\.defaultRegion \(HERALD_PHONE_REGION\) must be a two-letter region code/);
    expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow(/log\.format \(LOG_FORMAT\)/);
  });
});
