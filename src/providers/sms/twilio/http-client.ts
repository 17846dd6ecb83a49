// The twilio SDK's own RequestClient, re-pointed at another base URL (a fake in tests, a
// regional proxy in production) and made to remember Retry-After for the call in flight.
import { AsyncLocalStorage } from 'node:async_hooks';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import type Response from 'twilio/lib/http/response';
import { retryAfterFrom } from '../../../domain/retry';

/** What one messages.create() call learned from the HTTP layer. */
export interface CallState {
  retryAfterMs?: number;
}

/** Each send() runs inside callState.run({}, ...) so concurrent sends do not mix their state. */
export const callState = new AsyncLocalStorage<CallState>();

export class HeraldTwilioHttpClient extends twilio.RequestClient {
  private readonly baseUrl?: string;

  constructor(apiUrl: string | undefined, timeoutMs: number) {
    // No SDK-side retries: the worker owns retries, backoff and failover.
    super({ timeout: timeoutMs, autoRetry: false });
    this.baseUrl = apiUrl?.replace(/\/+$/, '');
  }

  override async request<TData>(opts: RequestClient.RequestOptions<TData>): Promise<Response<TData>> {
    let uri = opts.uri;
    if (this.baseUrl) {
      const u = new URL(opts.uri);
      uri = `${this.baseUrl}${u.pathname}${u.search}`;
    }
    const res = await super.request({ ...opts, uri });
    const state = callState.getStore();
    if (state && res.statusCode === 429) {
      const v: unknown = res.headers?.['retry-after'];
      state.retryAfterMs = retryAfterFrom(typeof v === 'string' ? v : undefined);
    }
    return res;
  }
}
