import { EventEmitter } from 'node:events';
import { createRequestTraffic } from '../../src/http/traffic';
import { createYieldGate } from '../../src/workers/yield-gate';

describe('the fan-out lets requests go first (yield gate)', () => {
  afterEach(() => jest.useRealTimers());

  it('starts at once while no request arrives', () => {
    const gate = createYieldGate({ busy: () => false }, 100);
    expect(gate.enter()).toBeUndefined();
    expect(createYieldGate(undefined, 100).enter()).toBeUndefined();
  });

  it("while requests arrive, those waiting start together at the next round", async () => {
    jest.useFakeTimers();
    const gate = createYieldGate({ busy: () => true }, 100);
    const started: number[] = [];
    const first = gate.enter()!.then(() => started.push(1));
    jest.advanceTimersByTime(60);
    const second = gate.enter()!.then(() => started.push(2));
    await Promise.resolve();
    expect(started).toEqual([]);
    jest.advanceTimersByTime(40);
    await Promise.all([first, second]);
    expect(started).toEqual([1, 2]);
    // The next one waits for a round of its own.
    const third = gate.enter()!.then(() => started.push(3));
    jest.advanceTimersByTime(100);
    await third;
    expect(started).toEqual([1, 2, 3]);
  });

  it('starts at most perRound a round while requests arrive, and every one waiting once they stop', async () => {
    jest.useFakeTimers();
    let busy = true;
    const gate = createYieldGate({ busy: () => busy }, 100, 2);
    const started: number[] = [];
    const all = [1, 2, 3, 4, 5].map((i) => gate.enter()!.then(() => started.push(i)));
    jest.advanceTimersByTime(100);
    await Promise.resolve();
    expect(started).toEqual([1, 2]);
    jest.advanceTimersByTime(100);
    await Promise.resolve();
    expect(started).toEqual([1, 2, 3, 4]);
    busy = false;
    jest.advanceTimersByTime(100);
    await Promise.all(all);
    expect(started).toEqual([1, 2, 3, 4, 5]);
    expect(gate.enter()).toBeUndefined();
  });

  it('close() lets every waiter start now', async () => {
    jest.useFakeTimers();
    const gate = createYieldGate({ busy: () => true }, 10_000);
    const waiting = gate.enter()!;
    gate.close();
    await expect(waiting).resolves.toBeUndefined();
  });

  it('traffic is busy while requests are being served, and quiet once each is answered or its connection closed', () => {
    const traffic = createRequestTraffic();
    const a = new EventEmitter();
    const b = new EventEmitter();
    expect(traffic.busy()).toBe(false);
    traffic.seen(a);
    traffic.seen(b);
    a.emit('close');
    expect(traffic.busy()).toBe(true);
    b.emit('close');
    expect(traffic.busy()).toBe(false);
  });
});

describe('an event stream held open (a dashboard left on the overview, a balance stream)', () => {
  it('does not keep the traffic busy: fan-outs start at once again while it stays open', async () => {
    const express = (await import('express')).default;
    const http = await import('node:http');
    const { openStream } = await import('../../src/http/dashboard/events');
    const traffic = createRequestTraffic();
    const app = express();
    app.use((_req, res, next) => {
      traffic.seen(res);
      next();
    });
    app.get('/stream', (_req, res) => void openStream(res));
    const server = app.listen(0);
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as { port: number }).port;
    const req = http.get({ port, path: '/stream' });
    try {
      const res = await new Promise<import('node:http').IncomingMessage>((resolve) => req.once('response', resolve));
      expect(res.headers['content-type']).toContain('text/event-stream');
      expect(traffic.busy()).toBe(false);
      expect(createYieldGate(traffic, 100).enter()).toBeUndefined();
    } finally {
      req.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});
