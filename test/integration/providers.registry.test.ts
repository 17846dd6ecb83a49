// The registry builds providers from configuration and refuses what it cannot build.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createProvider, providerChannels, providerTypes } from '../../src/providers/registry';
import { readOutbox } from '../../src/providers/outbox-file';
import { uniqueName } from '../support/services';

describe('provider registry', () => {
  const dataDir = path.join(os.tmpdir(), uniqueName('herald-registry'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('knows the built-in types and the channels each carries', () => {
    expect(providerTypes()).toEqual(expect.arrayContaining(['outbox', 'smtp', 'twilio']));
    expect(providerTypes('sms')).toEqual(expect.arrayContaining(['outbox', 'twilio']));
    expect(providerTypes('sms')).not.toContain('smtp');
    expect(providerTypes('email')).not.toContain('twilio');
    expect(providerChannels('outbox').sort()).toEqual(['email', 'sms']);
    expect(providerChannels('nope')).toEqual([]);
    expect(providerChannels('toString')).toEqual([]);
  });

  it('builds a working provider of the configured channel', async () => {
    const sms = createProvider({ id: 'ob-sms', type: 'outbox', channel: 'sms', options: {} }, { dataDir });
    const email = createProvider({ id: 'ob-email', type: 'outbox', channel: 'email', options: {} }, { dataDir });
    expect([sms.id, sms.type, sms.channel]).toEqual(['ob-sms', 'outbox', 'sms']);
    expect([email.id, email.channel]).toEqual(['ob-email', 'email']);
    if (sms.channel !== 'sms') throw new Error('unreachable');
    await sms.send({ messageId: 'm1', part: 0, to: '+1', text: 'hi', validUntil: new Date() });
    expect(readOutbox(dataDir, 'sms').map((e) => e.messageId)).toEqual(['m1']);
  });

  it('names the known types when the type is unknown', () => {
    expect(() => createProvider({ id: 'x', type: 'carrier-pigeon', channel: 'sms', options: {} }, { dataDir })).toThrow(
      /provider 'x': unknown type 'carrier-pigeon'; known types: .*outbox.*twilio/,
    );
  });

  it('refuses a type on a channel it does not carry', () => {
    expect(() => createProvider({ id: 'mail-as-sms', type: 'smtp', channel: 'sms', options: {} }, { dataDir })).toThrow(
      "provider 'mail-as-sms': type 'smtp' carries email, not sms",
    );
    expect(() => createProvider({ id: 'tw', type: 'twilio', channel: 'email', options: {} }, { dataDir })).toThrow(/carries sms, not email/);
  });

  it('passes option errors through, naming the provider and the option', () => {
    expect(() => createProvider({ id: 'tw-main', type: 'twilio', channel: 'sms', options: { authToken: 't', from: '+15005550006' } }, { dataDir })).toThrow(
      /provider 'tw-main' \(twilio\): option 'accountSid' is required/,
    );
  });
});
