// Credits of a workspace: balance and prices, top-ups, ledger pages, and the live balance as
// Server-Sent Events. Roles (once keys exist): top-ups admin; the rest a viewer of the workspace.
import type { Response } from 'express';
import type { LedgerKind } from '../../domain/credits';
import { NotFoundError } from '../../domain/errors';
import type { Principal } from '../../services/tenancy/keys';
import type { Store } from '../../store/store';
import { balanceEvent, type BalanceEvent, type BalanceWatch, type CreditAccounts } from '../../services/credits';
import type { CreditsConfig } from '../../services/credits/pricing';
import { route, type RouteSpec } from '../route';
import { streaming } from '../traffic';
import { creditSummarySchema, ledgerPageSchema, ledgerQuery, topUpCreateSchema, topUpSchema, workspaceParams } from '../schemas/credits';
import { idempotencyHeader } from '../schemas/notifications';

const BASE = '/v1/workspaces/:id/credits';
/** A comment line now and then keeps proxies from closing an idle stream. */
const HEARTBEAT_MS = 15_000;

export interface CreditRouteDeps {
  store: Store;
  config: CreditsConfig;
  accounts: CreditAccounts;
  watch: BalanceWatch;
}

/** Holds the response open as an event stream until the client goes away. */
async function streamBalance(deps: CreditRouteDeps, ws: string, res: Response): Promise<void> {
  const acc = await deps.store.credits.get(ws);
  if (!acc) throw new NotFoundError('workspace', ws);
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('Connection', 'keep-alive');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  streaming(res);
  const send = (e: BalanceEvent) => res.write(`event: balance\ndata: ${JSON.stringify(e)}\n\n`);
  const current = balanceEvent(acc, deps.config);
  send(current);
  const closed = new Promise<void>((resolve) => res.once('close', resolve));
  const stop = await deps.watch.watch(ws, send, current);
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  await closed;
  clearInterval(heartbeat);
  stop();
  res.end();
}

/** A key of another workspace sees this one as not existing (an admin sees every workspace). */
function ownWorkspace(principal: Principal | null, id: string): string {
  if (principal && principal.role !== 'admin' && principal.workspaceId !== id) throw new NotFoundError('workspace', id);
  return id;
}

export function creditRoutes(deps: CreditRouteDeps): RouteSpec[] {
  const { accounts } = deps;
  return [
    route({
      method: 'get',
      path: BASE,
      tag: 'credits',
      summary: "A workspace's balance, credits reserved, currency name and prices (viewer of the workspace)",
      access: 'viewer',
      params: workspaceParams,
      responses: { 200: { description: 'the credit account', schema: creditSummarySchema } },
      errors: [404],
      async handler({ params, principal }) {
        return { status: 200, body: await accounts.summary(ownWorkspace(principal, params.id)) };
      },
    }),
    route({
      method: 'post',
      path: `${BASE}/top-ups`,
      tag: 'credits',
      summary: 'Add credits to a workspace (admin)',
      description:
        'With an Idempotency-Key, a retry with the same body answers the first top-up again (201, Idempotent-Replayed: true) ' +
        'and adds nothing; the same key with another body is refused with 422. A refused top-up changes neither balance nor ledger.',
      access: 'admin',
      params: workspaceParams,
      body: topUpCreateSchema,
      headers: idempotencyHeader,
      responses: { 201: { description: 'the top-up with the balance right after it', schema: topUpSchema, headers: { 'Idempotent-Replayed': 'true on a replay' } } },
      errors: [404, 422, 503],
      async handler({ params, body, headers }) {
        const key = headers['idempotency-key'];
        const { entry, replayed } = await accounts.topUp(params.id, body.amount, { ...(key ? { idempotencyKey: key } : {}), ...(body.note ? { note: body.note } : {}) });
        const reply = {
          id: entry.id, workspaceId: entry.workspaceId, amount: entry.amount, balance: entry.balanceAfter,
          currencyName: deps.config.credits.currencyName, note: entry.note, createdAt: entry.createdAt,
        };
        const replyHeaders: Record<string, string> = replayed ? { 'Idempotent-Replayed': 'true' } : {};
        return { status: 201, body: reply, headers: replyHeaders };
      },
    }),
    route({
      method: 'get',
      path: `${BASE}/ledger`,
      tag: 'credits',
      summary: "A page of the workspace's ledger, newest first: top-ups, reservations, refunds, adjustments (viewer)",
      access: 'viewer',
      params: workspaceParams,
      query: ledgerQuery,
      responses: { 200: { description: 'a page of ledger entries', schema: ledgerPageSchema } },
      errors: [404],
      async handler({ params, query, principal }) {
        const { limit, offset, kind, messageId } = query;
        return { status: 200, body: await accounts.ledger(ownWorkspace(principal, params.id), { kind: kind as LedgerKind | undefined, messageId }, { limit, offset }) };
      },
    }),
    route({
      method: 'get',
      path: `${BASE}/stream`,
      tag: 'credits',
      summary: 'Live balance as Server-Sent Events (viewer)',
      description:
        'text/event-stream: a `balance` event with the current value on connect, then one on every change made by any Herald ' +
        'process, at most one per credits.streamCoalesceMs. Data: {"workspaceId","balance","currencyName"}.',
      access: 'viewer',
      params: workspaceParams,
      responses: { 200: { description: 'an event stream (text/event-stream) of `balance` events' } },
      errors: [404],
      async handler({ params, res, principal }) {
        await streamBalance(deps, ownWorkspace(principal, params.id), res);
        return { status: 200 };
      },
    }),
  ];
}
