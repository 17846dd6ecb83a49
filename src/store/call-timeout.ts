// A bound on one store call, for the loops that run one round at a time: a call that never settles
// (a driver call lost when a connection was cut, a write waiting for a lock) must not hold the loop
// for good. The call itself is not cancelled: whatever it does later is what a failed call may have done.
import { StoreUnavailableError } from '../domain/errors';

/** A store call that did not settle in time (STORE_UNAVAILABLE, as the store was for that caller). */
export class StoreTimeoutError extends StoreUnavailableError {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
  ) {
    super(`store call ${what} did not settle within ${timeoutMs} ms`);
  }
}

/** `call`, or StoreTimeoutError after `timeoutMs` (0: no bound). A late answer or failure of `call` is dropped. */
export function withinStoreTimeout<T>(call: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  if (!(timeoutMs > 0)) return call;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new StoreTimeoutError(what, timeoutMs)), timeoutMs);
    // The bound alone must not keep a stopping process alive for up to timeoutMs.
    timer.unref();
    call.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/**
 * withinStoreTimeout for a write its caller writes again when it fails: `notWritten` runs once the write
 * itself failed, in time or after it was given up; never for a bare timeout. A given-up write may still
 * land: written again at once, it would land twice (a log line twice, a counter incremented twice).
 */
export function withinStoreTimeoutOnce<T>(call: Promise<T>, timeoutMs: number, what: string, notWritten: (e: unknown) => void): Promise<T> {
  call.catch(notWritten);
  return withinStoreTimeout(call, timeoutMs, what);
}

/**
 * A view of `store` in which each repo call that returns a promise gives up after `timeoutMs`
 * (StoreTimeoutError); walks (async iterables) and the store's own methods are left as they are.
 * For the loops made of many calls (scheduler and campaign steps): bounding each call, not the whole
 * step, stops a step at the call that hangs, and never gives up a slow step that is making progress
 * (given up, it went on beside the next round's run of the same step, and under load they piled up).
 */
export function boundedStore<S extends object>(store: S, timeoutMs: number): S {
  if (!(timeoutMs > 0)) return store;
  const views = new WeakMap<object, object>();
  const boundRepo = (name: string, repo: object): object =>
    new Proxy(repo, {
      get(target, prop) {
        const v: unknown = Reflect.get(target, prop, target);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          const out: unknown = (v as (...a: unknown[]) => unknown).apply(target, args);
          return out instanceof Promise ? withinStoreTimeout(out, timeoutMs, `${name}.${String(prop)}`) : out;
        };
      },
    });
  return new Proxy(store, {
    get(target, prop) {
      const v: unknown = Reflect.get(target, prop, target);
      if (typeof v === 'function') return (v as (...a: unknown[]) => unknown).bind(target);
      if (v === null || typeof v !== 'object') return v;
      let view = views.get(v);
      if (!view) views.set(v, (view = boundRepo(String(prop), v)));
      return view;
    },
  });
}
