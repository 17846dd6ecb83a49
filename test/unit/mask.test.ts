import { Writable } from 'node:stream';
import winston from 'winston';
import { createLogger, StoreLogTransport } from '../../src/log/logger';
import { maskText } from '../../src/log/mask';
import type { LogLine } from '../../src/domain/types';

describe('maskText', () => {
  it.each([
    ['to +358401234567 failed', 'to +3584******67 failed'],
    ["The 'To' number +1 (415) 555-0123 is not valid", "The 'To' number +1415*****23 is not valid"],
    ['{"to":"254712345678","status":"3"}', '{"to":"2547******78","status":"3"}'],
    ['national 0712345678.', 'national 0712****78.'],
    ['to=%2B254712345678&body=x', 'to=%2B2547******78&body=x'],
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
