// The workers' per-message line (logMessage) skips winston's stream pipeline while the logger has
// only its own sinks: stdout and the consolidated log must get exactly what winston would write.
import { attachStoreSink, createLogger, logMessage, logNotification } from '../../src/log/logger';
import type { LogLine } from '../../src/domain/types';

const M = { id: 'n-7:+358401234567:sms', notificationId: 'n-7', workspaceId: 'default' };

async function lines(format: 'json' | 'pretty', throughWinston: boolean): Promise<{ stdout: string; stored: LogLine[] }> {
  const written: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((t: string | Uint8Array) => (written.push(String(t)), true));
  jest.useFakeTimers({ now: new Date('2030-01-01T09:12:03.120Z'), doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
  try {
    const stored: LogLine[] = [];
    const logger = createLogger('herald-sms', { format });
    const sink = attachStoreSink(logger, { append: async (l: LogLine[]) => void stored.push(...l), query: async () => [] }, 'info');
    // Any change of transports (here a no-op removal) hands the lines to winston.
    if (throughWinston) logger.remove(undefined as never);
    logMessage(logger, 'info', M, 'message handed to provider', { provider: 'gw', providerMessageIds: ['gw:n-7:+358401234567:sms:0'], attempt: 1 });
    logMessage(logger, 'warn', { id: 'x1', notificationId: '' }, 'bounced at jane@example.com', { skipped: undefined, retry: true, note: 'a b' });
    logMessage(logger, 'debug', M, 'below the level');
    logNotification(logger, 'info', { notificationId: 'n-7', workspaceId: 'ws-1' }, 'notification accepted', { source: 'api', warnings: ['w'], recipients: undefined });
    await sink.flush();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    return { stdout: written.join(''), stored };
  } finally {
    jest.useRealTimers();
    spy.mockRestore();
  }
}

describe('a message line', () => {
  it.each(['json', 'pretty'] as const)('is the same on stdout and in the store whether winston writes it or not (%s)', async (format) => {
    const direct = await lines(format, false);
    const winston = await lines(format, true);
    expect(direct).toEqual(winston);
    expect(direct.stored).toHaveLength(3);
    expect(direct.stdout.split('\n').filter(Boolean)).toHaveLength(3);
    expect(direct.stored[2]).not.toHaveProperty('messageId', expect.anything());
    expect(JSON.stringify(direct)).not.toMatch(/358401234567|jane@/);
  });
});
