// GET /v1/providers and PATCH /v1/providers/:id: the run-time routing state every worker follows.
import { NotFoundError } from '../../domain/errors';
import type { ProviderControlService } from '../../services/provider-control';
import { route, type RouteSpec } from '../route';
import { channelSchema, dateTimeOut, idText } from '../schemas/common';
import { z } from '../schemas/zod';

const providerSchema = z
  .object({
    id: z.string(),
    type: z.string().openapi({ example: 'twilio' }),
    channel: channelSchema,
    state: z.enum(['active', 'paused', 'open']).openapi({ description: 'paused by an operator, or open: a worker stopped using it after repeated failures' }),
    order: z.number().int(),
    weight: z.number(),
    ratePerSecond: z.number().int().nullable().openapi({ description: 'messages per second across every worker; null: unlimited' }),
    sent: z.number().int().openapi({ description: 'hand-offs, summed over every worker (up to one refresh period behind)' }),
    failed: z.number().int(),
    circuitOpenUntil: dateTimeOut.optional(),
    updatedAt: dateTimeOut,
  })
  .openapi('Provider');

const providerPatchSchema = z
  .object({
    paused: z.boolean().optional(),
    order: z.number().int().min(0).max(1000).optional(),
    weight: z.number().min(0).max(1_000_000).optional(),
    ratePerSecond: z.number().int().min(1).max(100_000).nullable().optional().openapi({ description: 'null removes the limit' }),
  })
  .strict()
  .refine((p) => Object.keys(p).length > 0, 'must change at least one of paused, order, weight, ratePerSecond')
  .openapi('ProviderPatch');

export function providerRoutes(control: ProviderControlService): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/v1/providers',
      tag: 'providers',
      access: 'admin',
      summary: 'Every provider instance with its routing state and counters',
      responses: { 200: { description: 'the providers, by channel then order', schema: z.object({ items: z.array(providerSchema) }) } },
      async handler() {
        return { status: 200, body: { items: await control.list() } };
      },
    }),
    route({
      method: 'patch',
      path: '/v1/providers/:id',
      tag: 'providers',
      access: 'admin',
      summary: 'Pause, resume, reorder, reweight or re-rate one provider; every worker follows within seconds',
      params: z.object({ id: idText }),
      body: providerPatchSchema,
      responses: { 200: { description: 'the provider with its new state', schema: providerSchema } },
      errors: [404],
      async handler({ params, body }) {
        const { ratePerSecond, ...rest } = body;
        const patch = { ...rest, ...(ratePerSecond !== undefined ? { ratePerSecond: ratePerSecond ?? undefined } : {}) };
        const p = await control.update(params.id, patch);
        if (!p) throw new NotFoundError('provider', params.id);
        return { status: 200, body: p };
      },
    }),
  ];
}
