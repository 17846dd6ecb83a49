import { Writable } from 'node:stream';
import winston from 'winston';
import { createLogger, StoreLogTransport } from '../../src/log/logger';
import { maskText, maskValue, maybePersonal } from '../../src/log/mask';
import type { LogLine } from '../../src/domain/types';

describe('maskText', () => {
  it.each([
    ['to +358401234567 failed', 'to +3584******67 failed'],
    ["The 'To' number +1 (415) 555-0123 is not valid", "The 'To' number +1415*****23 is not valid"],
    ['{"to":"254712345678","status":"3"}', '{"to":"2547******78","status":"3"}'],
    ['national 0712345678.', 'national 0712****78.'],
    ['to=%2B254712345678&body=x', 'to=%2B2547******78&body=x'],
    ['to=%2b254712345678&body=x', 'to=%2b2547******78&body=x'],
    ['<jane.doe@example.com>: Recipient address rejected', '<j***@example.com>: Recipient address rejected'],
    ['from Herald <h@mail.example.co.ke>', 'from Herald <h***@mail.example.co.ke>'],
  ])('%s -> %s', (input, out) => {
    expect(maskText(input)).toBe(out);
  });

  it.each([
    'notification 550e8400-e29b-41d4-a716-446655440000 dispatched',
    'at 2026-12-01T05:10:44.108Z after 1500 ms',
    'provider message SM0123456789abcdef0123456789abcdef, ATXid_12345678901234',
    'outbox-652fe048-9b7a-42fc-ac2d-b70eddf638ff',
    'version 1.13.16, port 8080, seq 1234567',
  ])('leaves %s alone', (text) => {
    expect(maskText(text)).toBe(text);
  });
});

describe('maybePersonal', () => {
  // The expression it replaced, kept here as the reference it must agree with.
  const reference = /[@+]|%2B|\d{8}/i;

  it('agrees with the expression it replaced on random texts', () => {
    const alphabet = ['0', '1', '7', '9', '@', '+', '%', '2', 'B', 'b', 'a', '-', ' ', ':', '.'];
    let seed = 17;
    // xorshift32: repeatable texts.
    const next = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 4294967296;
    };
    for (let n = 0; n < 20_000; n++) {
      let text = '';
      const length = Math.floor(next() * 24);
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(next() * alphabet.length)];
      expect([text, maybePersonal(text)]).toEqual([text, reference.test(text)]);
    }
  });
});

describe('maskValue', () => {
  it('returns a list with nothing to mask as it is, and a masked copy otherwise', () => {
    const ids = ['http:m1:0', 'http:m2:1'];
    expect(maskValue(ids)).toBe(ids);
    const mixed = ['http:m1:0', '+254712345678'];
    expect(maskValue(mixed)).toEqual(['http:m1:0', '+2547******78']);
    expect(mixed).toEqual(['http:m1:0', '+254712345678']);
  });
});

describe('logger', () => {
  const capture = () => {
    const chunks: string[] = [];
    const stream = new Writable({ write: (c, _e, cb) => (chunks.push(String(c)), cb()) });
    return { chunks, transport: new winston.transports.Stream({ stream }) };
  };
  const storeSink = () => {
    const lines: LogLine[] = [];
    return { lines, transport: new StoreLogTransport({ append: async (l: LogLine[]) => void lines.push(...l), query: async () => [] }, { flushMs: 1 }) };
  };

  it('masks the message and every meta field before stdout and the consolidated log see them', async () => {
    const logger = createLogger('test', { silent: true });
    const out = capture();
    const store = storeSink();
    logger.add(out.transport);
    logger.add(store.transport);
    logger.warn('provider refused +254712345678', { error: { message: 'bad <amina@example.org>', to: ['+254712345679'] }, attempt: 1 });
    await store.transport.flush();
    const all = out.chunks.join('') + JSON.stringify(store.lines);
    expect(all).not.toMatch(/254712345678|254712345679|amina@example\.org/);
    expect(store.lines[0]).toMatchObject({ message: 'provider refused +2547******78', meta: { error: { message: 'bad <a***@example.org>', to: ['+2547******79'] }, attempt: 1 } });
  });

  it('keeps full values when masking is turned off (debugging)', async () => {
    const logger = createLogger('test', { silent: true, maskPersonalData: false });
    const store = storeSink();
    logger.add(store.transport);
    logger.info('to +254712345678');
    await store.transport.flush();
    expect(store.lines[0].message).toBe('to +254712345678');
  });
});
