// Server-Sent Events for the live parts: the balance (the credits watch, fed by every process),
// the overview's figures and the log follow (read again every few seconds, from rollups and the log's seq).
import type { Request, Response, Router } from 'express';
import { balanceEvent } from '../../services/credits';
import type { PageContext } from './deps';
import { overviewData } from './overview-data';
import { overviewFields } from './pages/overview';
import { logFilterOf, logQuery, logRow } from './pages/logs';
import { campaignProgress } from './pages/campaigns';
import { viewerOf } from './session';
import { streaming } from '../traffic';
import { StoreTimeoutError, withinStoreTimeout } from '../../store/call-timeout';

const HEARTBEAT_MS = 15_000;
const OVERVIEW_EVERY_MS = 2_000;
const LOG_EVERY_MS = 1_000;
const CAMPAIGNS_EVERY_MS = 1_000;

interface Stream {
  send(event: string, data: unknown): void;
  /** Resolves when the client goes away. */
  closed: Promise<void>;
  isClosed(): boolean;
}

export function openStream(res: Response): Stream {
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  streaming(res);
  let closed = false;
  const done = new Promise<void>((resolve) => res.once('close', () => ((closed = true), resolve())));
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  void done.then(() => clearInterval(heartbeat));
  return {
    send: (event, data) => {
      if (!closed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    closed: done,
    isClosed: () => closed,
  };
}

/**
 * Calls `tick` every `ms` until the client goes away; a failing tick is skipped (the next one tries again).
 * A tick still waiting on the store after `timeoutMs` is given up (StoreTimeoutError), so the stream goes on;
 * `current()` turns false for it: a late answer must not send what a newer tick sends again. Two given-up
 * ticks still running stop the rounds until one settles: on a store that hangs every read, reads must not pile up.
 */
async function every(stream: Stream, ms: number, timeoutMs: number, tick: (current: () => boolean) => Promise<void>, opts: { now?: boolean } = {}): Promise<void> {
  let running = false;
  let givenUpRunning = 0;
  let generation = 0;
  const round = (): void => {
    if (running || givenUpRunning > 1 || stream.isClosed()) return;
    running = true;
    const mine = ++generation;
    const call = tick(() => mine === generation && !stream.isClosed());
    withinStoreTimeout(call, timeoutMs, 'dashboard stream tick')
      .catch((e: unknown) => {
        if (mine === generation) generation++;
        if (!(e instanceof StoreTimeoutError)) return;
        givenUpRunning++;
        void call.catch(() => undefined).finally(() => givenUpRunning--);
      })
      .finally(() => (running = false));
  };
  // `now`: the first tick at once, as one of the rounds (a first read outside them, given up on, sent its late answer after newer ones).
  if (opts.now) round();
  const timer = setInterval(round, ms);
  await stream.closed;
  clearInterval(timer);
}

export function eventRoutes(r: Router, ctx: PageContext): void {
  const { deps } = ctx;
  const timeoutMs = deps.config.store.callTimeoutMs;

  r.get('/events/balance', async (_req: Request, res: Response) => {
    const ws = viewerOf(res).principal.workspaceId;
    const acc = await deps.store.credits.get(ws);
    const stream = openStream(res);
    if (!acc) return void (await stream.closed);
    const current = balanceEvent(acc, deps.config);
    stream.send('balance', current);
    if (!deps.balance) return every(stream, OVERVIEW_EVERY_MS, timeoutMs, async (current) => {
      const a = await deps.store.credits.get(ws);
      if (a && current()) stream.send('balance', balanceEvent(a, deps.config));
    });
    const stop = await deps.balance.watch(ws, (e) => stream.send('balance', e), current);
    await stream.closed;
    stop();
  });

  r.get('/events/overview', async (_req: Request, res: Response) => {
    const { principal } = viewerOf(res);
    const stream = openStream(res);
    await every(stream, OVERVIEW_EVERY_MS, timeoutMs, async (current) => {
      const d = await overviewData(deps, principal);
      if (!current()) return;
      const fields = overviewFields(d);
      // The balance has a stream of its own (from the credits watch).
      delete fields.balance;
      stream.send('overview', { fields, perMinute: d.perMinute });
    });
  });

  r.get('/events/campaigns', async (req: Request, res: Response) => {
    const ws = viewerOf(res).principal.workspaceId;
    const ids = String(req.query.ids ?? '').split(',').filter(Boolean).slice(0, 50);
    const stream = openStream(res);
    const tick = async (current: () => boolean) => {
      const items = await campaignProgress(ctx, ws, ids);
      if (current()) stream.send('campaigns', { items });
    };
    await every(stream, CAMPAIGNS_EVERY_MS, timeoutMs, tick, { now: true });
  });

  r.get('/events/logs', async (req: Request, res: Response) => {
    const { principal } = viewerOf(res);
    const filter = logFilterOf(req.query as Record<string, unknown>);
    let after = Math.max(0, Math.floor(Number(req.query.after) || 0));
    const stream = openStream(res);
    await every(stream, LOG_EVERY_MS, timeoutMs, async (current) => {
      const lines = await deps.store.logs.query(logQuery(principal, filter, { afterSeq: after, limit: 500 }));
      // A tick given up on: the next one reads from the same `after`, and sends these lines itself.
      if (lines.length === 0 || !current()) return;
      after = lines.at(-1)?.seq ?? after;
      stream.send('lines', { after, html: lines.map((l) => logRow(l).value).join('') });
    });
  });
}
