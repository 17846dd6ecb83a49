import type { HandlerResult } from '../../src/bus/bus';
import { eachNotification } from '../../src/workers/dispatcher';

describe('a dispatch delivery of several notifications (accepted together)', () => {
  it('runs a delivery of one as before', async () => {
    const seen: unknown[] = [];
    const r = await eachNotification({ notificationId: 'n1' }, async (b) => (seen.push(b), { action: 'ack' }));
    expect(r).toEqual({ action: 'ack' });
    expect(seen).toEqual([{ notificationId: 'n1' }]);
  });

  it('runs each notification as a delivery of its own and acks the whole when each is done', async () => {
    const seen: unknown[] = [];
    const r = await eachNotification({ notificationIds: ['a', 'b', 'c'] }, async (b) => (seen.push(b.notificationId), { action: 'ack' }));
    expect(r).toEqual({ action: 'ack' });
    expect(seen.sort()).toEqual(['a', 'b', 'c']);
  });

  it('settles those not done alone (retry, dead letter, a throw), so the others are not run again', async () => {
    const r = await eachNotification({ notificationIds: ['ok', 'later', 'gone', 'boom'] }, async ({ notificationId }): Promise<HandlerResult> => {
      if (notificationId === 'later') return { action: 'retry', delayMs: 5000, reason: 'store down' };
      if (notificationId === 'gone') return { action: 'dead', reason: "notification 'gone' does not exist" };
      if (notificationId === 'boom') throw new Error('kaput');
      return { action: 'ack' };
    });
    expect(r).toEqual({
      action: 'split',
      parts: [
        { body: { notificationId: 'later' }, result: { action: 'retry', delayMs: 5000, reason: 'store down' } },
        { body: { notificationId: 'gone' }, result: { action: 'dead', reason: "notification 'gone' does not exist" } },
        { body: { notificationId: 'boom' }, result: { action: 'retry', delayMs: expect.any(Number), reason: 'handler threw: kaput' } },
      ],
    });
  });
});
