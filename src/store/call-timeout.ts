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
