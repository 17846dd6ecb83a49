// A request schema's effect-free twin, for the routes that take the most requests.
// zod 3's ZodEffects (every .transform/.refine) builds, at each parse, an object literal with a `get path()`
// getter closing over the parse context: V8 gives each such object a hidden class of its own, allocated in the
// old generation, whose descriptors hold the closure, its context and through it the parse contexts and the
// request body. All of it survives every young collection until the next full one: the POST /v1/notifications
// body (three transforms) promoted ~2.5 KB and cost ~19 µs a parse, against ~0 and ~4.6 µs without transforms.
// The twin validates the same shape without effects; `finish` applies the conversions the transforms made and
// answers undefined when one of their checks fails, and the full schema then parses for the errors, so what a
// caller sees (the value, every issue and its order) is the full schema's.
import type { z } from './zod';

type Lean = (value: unknown) => { data: unknown } | undefined;

const leans = new WeakMap<z.ZodTypeAny, Lean>();

/** Registers `twin` + `finish` as the fast parse of `schema`; returns `schema`. */
export function withLeanParse<T extends z.ZodTypeAny, W extends z.ZodTypeAny>(
  schema: T,
  twin: W,
  finish: (data: z.output<W>) => z.output<T> | undefined,
): T {
  leans.set(schema, (value) => {
    const r = twin.safeParse(value);
    if (!r.success) return undefined;
    const data = finish(r.data as z.output<W>);
    return data === undefined ? undefined : { data };
  });
  return schema;
}

/** The schema's output for `value` through its twin, or undefined: parse with the schema itself. */
export function leanParse(schema: z.ZodTypeAny, value: unknown): { data: unknown } | undefined {
  const lean = leans.get(schema);
  return lean ? lean(value) : undefined;
}
