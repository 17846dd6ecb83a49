// A workspace's webhook endpoints: register (the signing secret shown once), change, disable,
// rotate the secret, delete; read each delivery's attempts and replay one.
import { NotFoundError, UnprocessableError } from '../../domain/errors';
import type { Page, PageQuery } from '../../domain/types';
import { newEndpointId, newSigningSecret } from '../../domain/webhooks';
import type { Store } from '../../store/store';
import type { WebhookDelivery, WebhookDeliveryState, WebhookEndpoint, WebhookEndpointPatch } from '../../store/store-webhooks';
import { urlProblem } from './address';

/** An endpoint as the API shows it: never its secret, except right after create and rotate. */
export type EndpointView = Omit<WebhookEndpoint, 'secret'> & { secret?: string };

export interface DeliveryView extends Omit<WebhookDelivery, 'payload' | 'leaseToken' | 'workspaceId'> {
  /** The body sent, parsed. */
  event: unknown;
}

export interface EndpointInput {
  url: string;
  events?: string[];
  description?: string;
}

export interface EndpointChange {
  url?: string;
  events?: string[];
  /** null clears it. */
  description?: string | null;
  enabled?: boolean;
}

export interface WebhookEndpoints {
  create(ws: string, input: EndpointInput): Promise<EndpointView & { secret: string }>;
  list(ws: string, q: PageQuery): Promise<Page<EndpointView>>;
  get(ws: string, id: string): Promise<EndpointView>;
  update(ws: string, id: string, change: EndpointChange): Promise<EndpointView>;
  delete(ws: string, id: string): Promise<void>;
  rotate(ws: string, id: string): Promise<EndpointView & { secret: string }>;
  deliveries(ws: string, id: string, filter: { state?: WebhookDeliveryState; eventId?: string }, q: PageQuery): Promise<Page<DeliveryView>>;
  replay(ws: string, id: string, deliveryId: string): Promise<DeliveryView>;
}

export function endpointView(e: WebhookEndpoint): EndpointView {
  const { secret: _secret, ...rest } = e;
  return rest;
}

export function deliveryView(d: WebhookDelivery): DeliveryView {
  const { payload, leaseToken: _lease, workspaceId: _ws, ...rest } = d;
  let event: unknown;
  try {
    event = JSON.parse(payload);
  } catch {
    event = payload;
  }
  // While an attempt is in flight nextAttemptAt is its lease: not a time the client should read.
  return { ...rest, ...(d.leaseToken ? { nextAttemptAt: undefined } : {}), event };
}

export function createWebhookEndpoints(deps: {
  store: Store;
  config: { webhooks: { allowPrivate: boolean; retryForMs: number } };
  /** Called after any change, so this process's cache sees it at once. */
  onChange?: () => void;
}): WebhookEndpoints {
  const { store, config } = deps;
  const repo = store.webhooks;
  const changed = () => deps.onChange?.();

  const checkUrl = (url: string) => {
    const problem = urlProblem(url, config.webhooks.allowPrivate);
    if (problem) throw new UnprocessableError([{ field: 'url', reason: problem }], 'the URL cannot be a webhook endpoint');
  };
  const must = async (ws: string, id: string): Promise<WebhookEndpoint> => {
    const e = await repo.getEndpoint(ws, id);
    if (!e) throw new NotFoundError('webhook endpoint', id);
    return e;
  };

  return {
    async create(ws, input) {
      checkUrl(input.url);
      const e = await repo.createEndpoint({
        workspaceId: ws,
        id: newEndpointId(),
        url: input.url,
        events: [...new Set(input.events ?? [])],
        ...(input.description !== undefined ? { description: input.description } : {}),
        secret: newSigningSecret(),
        enabled: true,
      });
      changed();
      return { ...endpointView(e), secret: e.secret };
    },
    async list(ws, q) {
      const page = await repo.listEndpoints(ws, q);
      return { ...page, items: page.items.map(endpointView) };
    },
    async get(ws, id) {
      return endpointView(await must(ws, id));
    },
    async update(ws, id, change) {
      const current = await must(ws, id);
      if (change.url !== undefined) checkUrl(change.url);
      const patch: WebhookEndpointPatch = {};
      if (change.url !== undefined) patch.url = change.url;
      if (change.events !== undefined) patch.events = [...new Set(change.events)];
      if (change.description !== undefined) patch.description = change.description ?? undefined;
      if (change.enabled === true && !current.enabled) Object.assign(patch, { enabled: true, disabledReason: undefined, disabledAt: undefined, failingSince: undefined });
      if (change.enabled === false && current.enabled) Object.assign(patch, { enabled: false, disabledReason: 'manual', disabledAt: new Date() });
      const e = await repo.updateEndpoint(ws, id, patch);
      if (!e) throw new NotFoundError('webhook endpoint', id);
      changed();
      return endpointView(e);
    },
    async delete(ws, id) {
      if (!(await repo.deleteEndpoint(ws, id))) throw new NotFoundError('webhook endpoint', id);
      changed();
    },
    async rotate(ws, id) {
      await must(ws, id);
      const e = await repo.updateEndpoint(ws, id, { secret: newSigningSecret() });
      if (!e) throw new NotFoundError('webhook endpoint', id);
      changed();
      return { ...endpointView(e), secret: e.secret };
    },
    async deliveries(ws, id, filter, q) {
      await must(ws, id);
      const page = await repo.listDeliveries(ws, id, filter, q);
      return { ...page, items: page.items.map(deliveryView) };
    },
    async replay(ws, id, deliveryId) {
      await must(ws, id);
      const now = new Date();
      const d = await repo.replayDelivery(ws, id, deliveryId, now, new Date(now.getTime() + config.webhooks.retryForMs));
      if (!d) throw new NotFoundError('webhook delivery', deliveryId);
      return deliveryView(d);
    },
  };
}
