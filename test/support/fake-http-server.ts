// A fake vendor HTTP API on 127.0.0.1:0, for the fakes of HTTP providers (fake-sms-apis.ts,
// fake-gmail.ts, fake-twilio.ts): collects each request's body, logs it in `requests`, and
// answers what the vendor's handler says (JSON unless the body is a string).
//
// failNext(n, fault) applies to the next n requests `faultable` picks, before the handler:
//   a number (500, 503, 429 with Retry-After: 1): answered, the handler is not called;
//   'reset': the connection is dropped without an answer, the handler is not called;
//   'timeout': the handler runs (the vendor accepts), the answer never comes;
//   {vendor: code}: passed to the handler, which refuses in the vendor's words.
// Also: vendor delivery reports as WebhookRequests, and deliverWebhook() to send one over HTTP.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookRequest } from '../../src/providers/types';

export type FakeFault = number | 'timeout' | 'reset' | { vendor: string };

export interface FakeExchange {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  rawBody: Buffer;
  /** The body as form fields (form-encoded requests). */
  form: Record<string, string>;
  /** The body as JSON (JSON requests). */
  json: unknown;
}
export interface FakeAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}
/** An answer (or its promise), or 'hang' to accept and never answer. */
export type FakeHandler = (x: FakeExchange, fault: FakeFault | undefined) => FakeAnswer | 'hang' | Promise<FakeAnswer>;

export interface FakeServer {
  url: string;
  requests: Array<{ method: string; path: string; status: number | 'no-answer'; at: Date }>;
  failNext(n: number, fault: FakeFault): void;
  close(): Promise<void>;
}

export type VendorWebhook = WebhookRequest & { method: 'GET' | 'POST' };

/** A fake HTTP server; faults apply to the requests `faultable` picks (default all). */
export async function startFakeServer(handle: FakeHandler, faultable: (x: FakeExchange) => boolean = () => true): Promise<FakeServer> {
  const requests: FakeServer['requests'] = [];
  const faults: FakeFault[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://fake.invalid');
      const log = { method: req.method ?? '', path: u.pathname, status: 'no-answer' as number | 'no-answer', at: new Date() };
      requests.push(log);
      const rawBody = Buffer.concat(chunks);
      const text = rawBody.toString('utf8');
      const isJson = String(req.headers['content-type'] ?? '').includes('json');
      const x: FakeExchange = {
        method: log.method,
        path: u.pathname,
        query: Object.fromEntries(u.searchParams),
        headers: req.headers,
        rawBody,
        form: isJson ? {} : Object.fromEntries(new URLSearchParams(text)),
        json: isJson && text ? parseJson(text) : undefined,
      };
      const fault = faultable(x) ? faults.shift() : undefined;
      if (fault === 'reset') return req.socket.destroy();
      const answered =
        typeof fault === 'number'
          ? { status: fault, body: fault === 429 ? 'Too Many Requests' : 'Internal Server Error', headers: fault === 429 ? { 'Retry-After': '1' } : {} }
          : handle(x, fault);
      void Promise.resolve(answered).then((answer) => {
        if (answer === 'hang' || fault === 'timeout' || res.destroyed) return;
        log.status = answer.status;
        const json = typeof answer.body !== 'string';
        res.writeHead(answer.status, { 'Content-Type': json ? 'application/json' : 'text/plain', ...answer.headers });
        res.end(json ? JSON.stringify(answer.body) : answer.body);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    failNext(n, fault) {
      for (let i = 0; i < n; i++) faults.push(fault);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A vendor's delivery report to `url`: GET with query parameters, or POST form or JSON. */
export function webhook(method: 'GET' | 'POST', url: string, params: Record<string, string>, as: 'form' | 'json' = 'form'): VendorWebhook {
  if (method === 'GET') {
    const u = new URL(url);
    for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
    return { method, url: u.toString(), headers: {}, body: {}, rawBody: Buffer.alloc(0) };
  }
  const raw = as === 'json' ? JSON.stringify(params) : new URLSearchParams(params).toString();
  const type = as === 'json' ? 'application/json' : 'application/x-www-form-urlencoded';
  return { method, url, headers: { 'content-type': type }, body: as === 'json' ? JSON.parse(raw) : params, rawBody: Buffer.from(raw) };
}

/** Sends a vendor's delivery report to where it points; resolves with the receiver's answer. */
export async function deliverWebhook(hook: VendorWebhook): Promise<{ status: number; body: string }> {
  const res = await fetch(hook.url, {
    method: hook.method,
    headers: hook.headers as Record<string, string>,
    ...(hook.method === 'POST' ? { body: hook.rawBody } : {}),
  });
  return { status: res.status, body: await res.text() };
}
