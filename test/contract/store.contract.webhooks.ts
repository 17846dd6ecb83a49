// Store contract: client webhook endpoints (per workspace) and their deliveries (idempotent enqueue,
// leased claims, attempts recorded only by the current holder, replay).
import type { NewWebhookDelivery, NewWebhookEndpoint } from '../../src/store/store-webhooks';
import type { StoreRef } from './store.contract.helpers';

const endpoint = (id: string, over: Partial<NewWebhookEndpoint> = {}): NewWebhookEndpoint => ({
  workspaceId: 'w1', id, url: 'https://client.example/hook', events: [], secret: 'whsec_c2VjcmV0', enabled: true, ...over,
});
const T0 = new Date('2030-01-01T00:00:00.000Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const delivery = (id: string, endpointId: string, dueS = 0, over: Partial<NewWebhookDelivery> = {}): NewWebhookDelivery => ({
  id, workspaceId: 'w1', endpointId, eventId: `evt_${id}`, eventType: 'message.delivered', payload: `{"id":"evt_${id}"}`,
  nextAttemptAt: at(dueS), retryUntil: at(86_400), ...over,
});

export function webhooksContract(s: StoreRef): void {
  describe('webhooks', () => {
    it('keeps endpoints per workspace: another workspace sees none of them; patch sets and clears fields', async () => {
      const created = await s().webhooks.createEndpoint(endpoint('we_a1', { description: 'orders', events: ['message.failed'] }));
      expect(created).toMatchObject({ id: 'we_a1', workspaceId: 'w1', events: ['message.failed'], enabled: true, description: 'orders', createdAt: expect.any(Date) });
      await s().webhooks.createEndpoint(endpoint('we_a2'));
      await s().webhooks.createEndpoint(endpoint('we_b1', { workspaceId: 'w2' }));
      expect(await s().webhooks.getEndpoint('w2', 'we_a1')).toBeNull();
      expect(await s().webhooks.getEndpointById('we_a1')).toMatchObject({ workspaceId: 'w1' });
      const page = await s().webhooks.listEndpoints('w1', { limit: 10, offset: 0 });
      expect([page.total, page.items.map((e) => e.id)]).toEqual([2, ['we_a1', 'we_a2']]);
      const patched = await s().webhooks.updateEndpoint('w1', 'we_a1', { enabled: false, disabledReason: 'manual', disabledAt: at(1), description: undefined });
      expect(patched).toMatchObject({ enabled: false, disabledReason: 'manual', disabledAt: at(1) });
      expect(patched).not.toHaveProperty('description');
      expect(await s().webhooks.updateEndpoint('w2', 'we_a1', { enabled: true })).toBeNull();
      expect((await s().webhooks.listEnabled()).map((e) => e.id).sort()).toEqual(['we_a2', 'we_b1']);
    });

    it('keeps a sweep cursor per workspace, overwritten in place', async () => {
      expect(await s().webhooks.getSweepCursor('w1')).toBeNull();
      await s().webhooks.setSweepCursor('w1', { at: at(5), id: 'm1' });
      await s().webhooks.setSweepCursor('w2', { at: at(1), id: 'm0' });
      await s().webhooks.setSweepCursor('w1', { at: at(9), id: 'm2' });
      expect(await s().webhooks.getSweepCursor('w1')).toEqual({ at: at(9), id: 'm2' });
      expect(await s().webhooks.getSweepCursor('w2')).toEqual({ at: at(1), id: 'm0' });
    });

    it('notes a run of failures once (its start) and clears it on success', async () => {
      await s().webhooks.createEndpoint(endpoint('we_f1'));
      expect(await s().webhooks.noteEndpointResult('we_f1', false, at(10))).toMatchObject({ failingSince: at(10) });
      expect(await s().webhooks.noteEndpointResult('we_f1', false, at(20))).toMatchObject({ failingSince: at(10) });
      expect(await s().webhooks.noteEndpointResult('we_f1', true, at(30))).not.toHaveProperty('failingSince');
      expect(await s().webhooks.noteEndpointResult('we_gone', true, at(30))).toBeNull();
    });

    it('enqueues a delivery id once: the same event for the same endpoint again inserts nothing', async () => {
      expect(await s().webhooks.enqueueDeliveries([delivery('d1', 'we_1'), delivery('d2', 'we_1')])).toEqual(['d1', 'd2']);
      expect(await s().webhooks.enqueueDeliveries([delivery('d1', 'we_1', 5), delivery('d3', 'we_1')])).toEqual(['d3']);
      const page = await s().webhooks.listDeliveries('w1', 'we_1', {}, { limit: 10, offset: 0 });
      expect(page.total).toBe(3);
      expect(await s().webhooks.getDelivery('w1', 'we_1', 'd1')).toMatchObject({ state: 'pending', attempts: [], attemptCount: 0, nextAttemptAt: at(0) });
      expect(await s().webhooks.getDelivery('w2', 'we_1', 'd1')).toBeNull();
      expect(await s().webhooks.getDelivery('w1', 'we_other', 'd1')).toBeNull();
    });

    it('claims only due deliveries, each once until its lease ends, most overdue endpoint first', async () => {
      await s().webhooks.enqueueDeliveries([delivery('a1', 'we_a', 5), delivery('a2', 'we_a', 6), delivery('b1', 'we_b', 1), delivery('c1', 'we_c', 100)]);
      expect(await s().webhooks.dueEndpoints(at(10), 10)).toEqual(['we_b', 'we_a']);
      expect(await s().webhooks.dueEndpoints(at(10), 1)).toEqual(['we_b']);
      expect(await s().webhooks.dueEndpoints(at(10), 10, ['we_b'])).toEqual(['we_a']);
      const first = await s().webhooks.claimDue('we_a', at(10), 1, at(40));
      expect(first.map((d) => d.id)).toEqual(['a1']);
      expect(first[0]).toMatchObject({ leaseToken: expect.any(String), nextAttemptAt: at(40) });
      expect((await s().webhooks.claimDue('we_a', at(10), 5, at(40))).map((d) => d.id)).toEqual(['a2']);
      expect(await s().webhooks.claimDue('we_a', at(20), 5, at(50))).toEqual([]);
      // The lease ended (the holder died): the delivery is due again, with a new token.
      const again = await s().webhooks.claimDue('we_a', at(41), 5, at(70));
      expect(again.map((d) => d.id)).toEqual(['a1', 'a2']);
      expect(again[0].leaseToken).not.toBe(first[0].leaseToken);
    });

    it('records an attempt only for the current lease holder, keeps every attempt, and moves the state on', async () => {
      await s().webhooks.enqueueDeliveries([delivery('r1', 'we_r')]);
      const [old] = await s().webhooks.claimDue('we_r', at(1), 1, at(31));
      const [cur] = await s().webhooks.claimDue('we_r', at(32), 1, at(62));
      const failed = { at: at(33), statusCode: 503, latencyMs: 12 };
      expect(await s().webhooks.recordAttempt('r1', old.leaseToken!, failed, { state: 'succeeded' })).toBeNull();
      const retry = await s().webhooks.recordAttempt('r1', cur.leaseToken!, failed, { state: 'pending', nextAttemptAt: at(90) });
      expect(retry).toMatchObject({ state: 'pending', nextAttemptAt: at(90), attemptCount: 1, lastError: 'HTTP 503', attempts: [failed] });
      expect(retry).not.toHaveProperty('leaseToken');
      const [third] = await s().webhooks.claimDue('we_r', at(95), 1, at(125));
      const ok = { at: at(96), statusCode: 200, latencyMs: 8 };
      const done = await s().webhooks.recordAttempt('r1', third.leaseToken!, ok, { state: 'succeeded' });
      expect(done).toMatchObject({ state: 'succeeded', attemptCount: 2, attempts: [failed, ok] });
      expect(done).not.toHaveProperty('lastError');
      expect(done).not.toHaveProperty('nextAttemptAt');
      expect(await s().webhooks.claimDue('we_r', at(500), 5, at(600))).toEqual([]);
      const timeout = { at: at(97), latencyMs: 10_000, error: 'no answer within 10000 ms' };
      await s().webhooks.enqueueDeliveries([delivery('r2', 'we_r')]);
      const [c2] = await s().webhooks.claimDue('we_r', at(98), 1, at(128));
      expect(await s().webhooks.recordAttempt('r2', c2.leaseToken!, timeout, { state: 'failed' })).toMatchObject({ state: 'failed', lastError: timeout.error });
      const failedOnly = await s().webhooks.listDeliveries('w1', 'we_r', { state: 'failed' }, { limit: 10, offset: 0 });
      expect(failedOnly.items.map((d) => d.id)).toEqual(['r2']);
    });

    it('replays a finished delivery: pending and due now, a new window, attempts kept', async () => {
      await s().webhooks.enqueueDeliveries([delivery('p1', 'we_p')]);
      const [c] = await s().webhooks.claimDue('we_p', at(1), 1, at(31));
      await s().webhooks.recordAttempt('p1', c.leaseToken!, { at: at(2), statusCode: 400, latencyMs: 3 }, { state: 'failed' });
      const replayed = await s().webhooks.replayDelivery('w1', 'we_p', 'p1', at(100), at(200));
      expect(replayed).toMatchObject({ state: 'pending', nextAttemptAt: at(100), retryUntil: at(200), attemptCount: 1 });
      expect(await s().webhooks.replayDelivery('w2', 'we_p', 'p1', at(100), at(200))).toBeNull();
      expect((await s().webhooks.claimDue('we_p', at(100), 1, at(130))).map((d) => d.id)).toEqual(['p1']);
    });

    it('prunes finished deliveries last changed before a time, never pending ones, at most `limit` at once', async () => {
      await s().webhooks.enqueueDeliveries([delivery('o1', 'we_o'), delivery('o2', 'we_o'), delivery('o3', 'we_o'), delivery('o4', 'we_o')]);
      const claimed = await s().webhooks.claimDue('we_o', at(1), 3, at(31));
      for (const [i, d] of claimed.entries()) {
        await s().webhooks.recordAttempt(d.id, d.leaseToken!, { at: at(2), statusCode: 200, latencyMs: 1 }, i === 2 ? { state: 'failed' } : { state: 'succeeded' });
      }
      const later = new Date(Date.now() + 60_000);
      expect(await s().webhooks.pruneDeliveries(later, 2)).toBe(2);
      expect(await s().webhooks.pruneDeliveries(later, 10)).toBe(1);
      expect(await s().webhooks.pruneDeliveries(later, 10)).toBe(0);
      const left = await s().webhooks.listDeliveries('w1', 'we_o', {}, { limit: 10, offset: 0 });
      expect(left.items.map((d) => [d.id, d.state])).toEqual([['o4', 'pending']]);
      expect(await s().webhooks.pruneDeliveries(new Date(0), 10)).toBe(0);
    });

    it('deleting an endpoint deletes its deliveries; another workspace cannot delete it', async () => {
      await s().webhooks.createEndpoint(endpoint('we_d1'));
      await s().webhooks.enqueueDeliveries([delivery('x1', 'we_d1')]);
      expect(await s().webhooks.deleteEndpoint('w2', 'we_d1')).toBe(false);
      expect(await s().webhooks.deleteEndpoint('w1', 'we_d1')).toBe(true);
      expect(await s().webhooks.getEndpoint('w1', 'we_d1')).toBeNull();
      expect(await s().webhooks.dueEndpoints(at(10), 10)).toEqual([]);
      expect(await s().webhooks.deleteEndpoint('w1', 'we_d1')).toBe(false);
    });
  });
}
