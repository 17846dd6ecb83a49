import { resolveLogFormat } from '../../src/log/logger';
import { formatPrettyLine } from '../../src/log/pretty';

describe('log format', () => {
  it('is readable on a terminal and JSON when piped, unless set', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });

  it('writes time, level, process, ids, message and the rest as key=value; colour only when asked', () => {
    const info = { level: 'warn', message: 'provider attempt failed; will retry', process: 'herald-sms', timestamp: '2030-01-01T09:12:03.120Z', notificationId: 'n1', messageId: 'n1:u:sms', provider: 'twilio', attempt: 2, error: { code: 'SERVER_ERROR' } };
    expect(formatPrettyLine(info, false)).toBe(
      '09:12:03.120 WARN  herald-sms [n=n1 m=n1:u:sms] provider attempt failed; will retry provider=twilio attempt=2 error={"code":"SERVER_ERROR"}',
    );
    expect(formatPrettyLine(info, false)).not.toMatch(/\x1b\[/);
    expect(formatPrettyLine(info, true)).toMatch(/\x1b\[33mWARN /);
  });
});
