// Provider options checked with zod: one readable configuration error naming the instance, and
// the option fields several providers share.
import { z } from 'zod';
import type { ProviderConfig } from './types';

/** zod issues as one readable configuration error naming the instance. */
export function optionsError(id: string, type: string, issues: Array<{ path: (string | number)[]; message: string }>): Error {
  const problems = issues.map((i) => `option${i.path.length ? ` '${i.path.join('.')}'` : 's'} ${i.message === 'Required' ? 'is required' : i.message}`);
  return new Error(`provider '${id}' (${type}): ${problems.join('; ')}`);
}

/** The instance's options parsed (defaults applied) by `schema`; throws optionsError when they do not fit. */
export function parseOptions<S extends z.ZodTypeAny>(schema: S, cfg: ProviderConfig, type: string): z.output<S> {
  const r = schema.safeParse(cfg.options ?? {});
  if (!r.success) throw optionsError(cfg.id, type, r.error.issues);
  return r.data as z.output<S>;
}

/** Timeout of one call to the vendor, in ms. */
export const timeoutMsOption = (defaultMs: number) => z.number().int().positive().default(defaultMs);

/** Shared secret a vendor that does not sign puts in the callback URL as ?token=. */
export const webhookTokenOption = z.string().min(8, 'must be at least 8 characters').optional();
