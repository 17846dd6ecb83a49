// Every delivery-report status each vendor documents, through the provider's own parser:
// Twilio MessageStatus, Vonage SMS API DLR status, Africa's Talking DLR status, Infobip status
// groups. A status no vendor documents maps to nothing (the service records it and moves nothing).
import twilio from 'twilio';
import type { MessageStatus } from '../../src/domain/types';
import { createProvider } from '../../src/providers/registry';
import type { SmsProvider, WebhookRequest } from '../../src/providers/types';

const ctx = { dataDir: '/tmp' };
const ACCOUNT = `AC${'a'.repeat(32)}`;
const TOKEN = 'secret-token';
const URL = 'https://herald.example/v1/webhooks/twilio/tw';

function sms(type: string, options: Record<string, unknown>): SmsProvider {
  return createProvider({ id: type, type, channel: 'sms', options }, ctx) as SmsProvider;
}

function twilioReport(status: string): WebhookRequest {
  const params = { MessageSid: 'SM1', MessageStatus: status, AccountSid: ACCOUNT };
  const signature = twilio.getExpectedTwilioSignature(TOKEN, URL, params);
  return { url: URL, headers: { 'x-twilio-signature': signature }, body: params, rawBody: Buffer.from(new URLSearchParams(params).toString()) };
}

const form = (params: Record<string, string>): WebhookRequest => ({ url: 'https://h/x', headers: {}, body: params, rawBody: Buffer.alloc(0) });

const TWILIO: Array<[string, MessageStatus]> = [
  ['accepted', 'sent'], ['scheduled', 'sent'], ['queued', 'sent'], ['sending', 'sent'], ['sent', 'sent'],
  ['receiving', 'sent'], ['received', 'sent'], ['delivered', 'delivered'], ['read', 'delivered'],
  ['partially_delivered', 'undelivered'], ['undelivered', 'undelivered'], ['failed', 'failed'], ['canceled', 'cancelled'],
];
const VONAGE: Array<[string, MessageStatus]> = [
  ['accepted', 'sent'], ['buffered', 'sent'], ['unknown', 'sent'], ['delivered', 'delivered'],
  ['expired', 'expired'], ['failed', 'undelivered'], ['rejected', 'rejected'],
];
const AFRICAS_TALKING: Array<[string, MessageStatus]> = [
  ['Sent', 'sent'], ['Submitted', 'sent'], ['Buffered', 'sent'], ['Success', 'delivered'],
  ['Failed', 'undelivered'], ['AbsentSubscriber', 'undelivered'], ['Rejected', 'rejected'], ['Expired', 'expired'],
];
const INFOBIP: Array<[string, string, MessageStatus]> = [
  ['OK', 'OK', 'sent'], ['PENDING', 'PENDING_WAITING_DELIVERY', 'sent'], ['PENDING', 'PENDING_ENROUTE', 'sent'],
  ['PENDING', 'PENDING_ACCEPTED', 'sent'], ['DELIVERED', 'DELIVERED_TO_OPERATOR', 'sent'], ['DELIVERED', 'DELIVERED_TO_HANDSET', 'delivered'],
  ['UNDELIVERABLE', 'UNDELIVERABLE_NOT_DELIVERED', 'undelivered'], ['UNDELIVERABLE', 'UNDELIVERABLE_REJECTED_OPERATOR', 'undelivered'],
  ['EXPIRED', 'EXPIRED_EXPIRED', 'expired'], ['EXPIRED', 'EXPIRED_DLR_UNKNOWN', 'expired'],
  ['REJECTED', 'REJECTED_NETWORK', 'rejected'], ['REJECTED', 'REJECTED_DESTINATION', 'rejected'],
];

describe('Twilio: every documented MessageStatus', () => {
  const p = sms('twilio', { accountSid: ACCOUNT, authToken: TOKEN, from: '+15005550006' });
  test.each(TWILIO)('%s -> %s', (raw, status) => {
    expect(p.parseDeliveryReport!(twilioReport(raw))).toEqual([{ providerMessageId: 'SM1', status, providerStatus: raw }]);
  });
  test('an undocumented status maps to no Herald status, keeping the raw one', () => {
    expect(p.parseDeliveryReport!(twilioReport('teleported'))).toEqual([{ providerMessageId: 'SM1', status: undefined, providerStatus: 'teleported' }]);
  });
});

describe('Vonage: every documented DLR status', () => {
  const p = sms('vonage', { apiKey: 'k', apiSecret: 's', from: 'Herald' });
  test.each(VONAGE)('%s -> %s', (raw, status) => {
    expect(p.parseDeliveryReport!(form({ messageId: 'V1', status: raw }))[0]).toMatchObject({ status, providerStatus: raw });
  });
  test('an undocumented status maps to nothing', () => {
    expect(p.parseDeliveryReport!(form({ messageId: 'V1', status: 'teleported' }))[0].status).toBeUndefined();
  });
});

describe("Africa's Talking: every documented delivery report status", () => {
  const p = sms('africastalking', { username: 'u', apiKey: 'k' });
  test.each(AFRICAS_TALKING)('%s -> %s', (raw, status) => {
    expect(p.parseDeliveryReport!(form({ id: 'AT1', status: raw }))[0]).toMatchObject({ status, providerStatus: raw });
  });
  test('an undocumented status maps to nothing', () => {
    expect(p.parseDeliveryReport!(form({ id: 'AT1', status: 'Teleported' }))[0].status).toBeUndefined();
  });
});

describe('Infobip: every documented status group', () => {
  const p = sms('infobip', { apiKey: 'k', baseUrl: 'https://x.api.infobip.com' });
  const report = (groupName: string, name: string): WebhookRequest => ({
    url: 'https://h/x', headers: {}, body: { results: [{ messageId: 'IB1', status: { groupName, name } }] }, rawBody: Buffer.alloc(0),
  });
  test.each(INFOBIP)('%s / %s -> %s', (group, name, status) => {
    expect(p.parseDeliveryReport!(report(group, name))[0]).toMatchObject({ status, providerStatus: name });
  });
  test('an undocumented group maps to nothing', () => {
    expect(p.parseDeliveryReport!(report('TELEPORTED', 'TELEPORTED_AWAY'))[0].status).toBeUndefined();
  });
});
