// An instrumented provider behaves as the provider itself (its methods see their own `this`), and
// its sends show on /metrics: duration by outcome, calls in flight while one is under way.
import { createMetrics } from '../../src/services/metrics';
import type { OutboundSms, SendResult, SmsProvider } from '../../src/providers/types';

class CountingProvider implements SmsProvider {
  readonly id = 'counting';
  readonly type = 'test';
  readonly channel = 'sms' as const;
  sent = 0;
  closed = false;
  release: () => void = () => undefined;
  async send(_msg: OutboundSms): Promise<SendResult> {
    if (this.closed) throw new Error('closed');
    await new Promise<void>((r) => (this.release = r));
    return { providerMessageId: `p-${++this.sent}`, status: 'sent' };
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

const sms: OutboundSms = { messageId: 'm1', part: 0, to: '+358401234567', text: 'hi', validUntil: new Date(Date.now() + 60_000) } as OutboundSms;

describe('instrumented provider', () => {
  it('keeps the provider as `this` for its methods, and counts its sends on /metrics', async () => {
    const metrics = createMetrics();
    const inner = new CountingProvider();
    const p = metrics.instrumentProvider(inner);
    expect(await metrics.registry.getSingleMetricAsString('herald_messages_in_flight')).toMatch(/herald_messages_in_flight\{channel="sms"\} 0/);

    const pending = p.send(sms);
    await new Promise((r) => setImmediate(r));
    expect(await metrics.registry.getSingleMetricAsString('herald_messages_in_flight')).toMatch(/\{channel="sms"\} 1/);
    inner.release();
    expect(await pending).toEqual({ providerMessageId: 'p-1', status: 'sent' });
    expect(await metrics.registry.getSingleMetricAsString('herald_messages_in_flight')).toMatch(/\{channel="sms"\} 0/);

    await p.close!(); // a prototype method: it must close the provider itself
    expect(inner.closed).toBe(true);
    await expect(p.send(sms)).rejects.toThrow('closed');
    expect(p.id).toBe('counting');

    const calls = await metrics.registry.getSingleMetricAsString('herald_provider_call_seconds');
    expect(calls).toMatch(/_count\{[^}]*provider="counting"[^}]*outcome="ok"[^}]*\} 1/);
    expect(calls).toMatch(/_count\{[^}]*provider="counting"[^}]*outcome="error"[^}]*\} 1/);
  });
});
