// The rules a CSV row is read by: sending-time words in the workspace's zone, numbers in any
// form people type, provider names with their old aliases, long texts split or refused.
import { isTooOld, parseSendTime } from '../../src/domain/campaign-time';
import { loadConfig } from '../../src/config';
import { normaliseNumber, planRow } from '../../src/services/campaigns/import-plan';
import { resolveProviderName } from '../../src/services/campaigns/providers';

const zone = 'Africa/Nairobi'; // UTC+3, no DST
const at = (iso: string) => new Date(iso);
const send = (raw: string, now = '2026-12-01T05:00:00Z') => parseSendTime(raw, { zone, sendHour: 9, now: at(now) });

describe('sending_time', () => {
  it('reads blank and now as at once', () => {
    expect(send('')).toEqual({ ok: true, at: at('2026-12-01T05:00:00Z') });
    expect(send(' NOW ')).toEqual({ ok: true, at: at('2026-12-01T05:00:00Z') });
  });
  it('reads today as the send hour in the zone, or at once when that hour is past', () => {
    expect(send('today')).toEqual({ ok: true, at: at('2026-12-01T06:00:00Z') });
    expect(send('today', '2026-12-01T07:30:00Z')).toEqual({ ok: true, at: at('2026-12-01T07:30:00Z') });
  });
  it('reads tomorrow and yesterday at the send hour of that day in the zone', () => {
    expect(send('tomorrow')).toEqual({ ok: true, at: at('2026-12-02T06:00:00Z') });
    expect(send('Yesterday')).toEqual({ ok: true, at: at('2026-11-30T06:00:00Z') });
    // 22:30 UTC is already the next day in Nairobi.
    expect(send('tomorrow', '2026-12-01T22:30:00Z')).toEqual({ ok: true, at: at('2026-12-03T06:00:00Z') });
  });
  it('reads YYYY-MM-DD HH:mm and a bare date in the zone, ISO 8601 with its own offset', () => {
    expect(send('2026-12-24 18:30')).toEqual({ ok: true, at: at('2026-12-24T15:30:00Z') });
    expect(send('2026-12-24')).toEqual({ ok: true, at: at('2026-12-24T06:00:00Z') });
    expect(send('2026-12-24T18:30:00Z')).toEqual({ ok: true, at: at('2026-12-24T18:30:00Z') });
    expect(send('2026-12-24T18:30:00+01:00')).toEqual({ ok: true, at: at('2026-12-24T17:30:00Z') });
  });
  it('refuses anything else with the forms it accepts', () => {
    expect(send('next week')).toEqual({ ok: false, reason: expect.stringContaining('now, today, tomorrow, yesterday, YYYY-MM-DD HH:mm or ISO 8601') });
    expect(send('2026-13-40 10:00').ok).toBe(false);
  });
  it('expires a time older than the validity, not one within it', () => {
    expect(isTooOld(at('2026-11-29T06:00:00Z'), 48, at('2026-12-01T05:00:00Z'))).toBe(false);
    expect(isTooOld(at('2026-11-29T04:00:00Z'), 48, at('2026-12-01T05:00:00Z'))).toBe(true);
  });
});

describe('numbers', () => {
  it('normalises international with or without +, and national in the default region', () => {
    expect(normaliseNumber('+254 712 345 678', undefined)).toBe('+254712345678');
    expect(normaliseNumber('254712345678', undefined)).toBe('+254712345678');
    expect(normaliseNumber('0712-345-678', 'KE')).toBe('+254712345678');
    expect(normaliseNumber('0712345678', undefined)).toBeUndefined();
    expect(normaliseNumber('+12', 'KE')).toBeUndefined();
  });
});

describe('provider names', () => {
  const providers = [{ id: 'main-sms', type: 'vonage' }, { id: 'at-ke', type: 'africastalking' }, { id: 'twilio', type: 'twilio' }];
  it('takes an instance id, a vendor type, or the old vendor names nexmo and at', () => {
    expect(resolveProviderName('main-sms', providers)).toBe('main-sms');
    expect(resolveProviderName('Vonage', providers)).toBe('main-sms');
    expect(resolveProviderName('nexmo', providers)).toBe('main-sms');
    expect(resolveProviderName('at', providers)).toBe('at-ke');
    expect(resolveProviderName('twilio', providers)).toBe('twilio');
    expect(resolveProviderName('infobip', providers)).toBeUndefined();
  });
});

describe('a row', () => {
  const config = (over: Record<string, unknown> = {}) => loadConfig({}, { 'phone.defaultRegion': 'KE', ...over });
  const ctx = (over: Record<string, unknown> = {}) => ({ config: config(over), now: at('2026-12-01T05:00:00Z'), defaultCampaign: 'import' });
  const row = (fields: Record<string, string>, over?: Record<string, unknown>) =>
    planRow(7, { message: 'Hi {{name}}, code {{code}}', recepient_nos: '0712345678, +254712345679', campaign: 'C', sending_time: 'now', ...fields }, ctx(over));

  it('renders the text per number with the extra columns, one message per distinct number', () => {
    expect(row({ name: 'Ann', code: '42', recepient_nos: '0712345678,254712345678, +254712345679' })).toMatchObject({
      kind: 'row', line: 7, campaign: 'C', messages: [{ phone: '+254712345678', text: 'Hi Ann, code 42', segments: 1 }, { phone: '+254712345679', text: 'Hi Ann, code 42' }],
    });
  });
  it('names the column of what is wrong', () => {
    expect(row({ recepient_nos: '0712345678, 12' })).toMatchObject({ kind: 'rejected', line: 7, column: 'recepient_nos', reason: expect.stringContaining("'12'") });
    expect(row({ message: '  ' })).toMatchObject({ kind: 'rejected', column: 'message', reason: 'is empty' });
    expect(row({ message: 'Hi {{#if}}' })).toMatchObject({ kind: 'rejected', column: 'message' });
    expect(row({ campaign: '' })).toMatchObject({ kind: 'rejected', column: 'campaign' });
  });
  it('splits a text over the maximum length, or refuses it when longMessages is refuse', () => {
    const long = 'word '.repeat(200);
    expect(row({ message: long, recepient_nos: '0712345678' })).toMatchObject({ kind: 'row', messages: [{ segments: 7 }] });
    expect(row({ message: long, recepient_nos: '0712345678' }, { 'campaigns.longMessages': 'refuse' })).toMatchObject({
      kind: 'rejected', column: 'message', reason: expect.stringContaining('longer than the maximum SMS length (918'),
    });
  });
  it('reports a row older than the validity as expired', () => {
    expect(row({ sending_time: '2026-11-01 09:00' })).toMatchObject({ kind: 'expired', line: 7 });
  });
});
