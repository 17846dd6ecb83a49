// The provider HTTP client against a local server: what a provider learns from each kind of answer
// (or its absence), which decides between a retry, a refusal and "may have been accepted".
import { spawn } from 'node:child_process';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { httpCall } from '../../src/providers/http-call';
import { ProviderError } from '../../src/providers/types';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

let server: http.Server;
let handle: Handler;
let url: string;

beforeAll(async () => {
  server = http.createServer((req, res) => handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/send?x=1`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const call = (timeoutMs = 2_000, body = '{"a":1}') => httpCall('p1', { method: 'POST', url, headers: { 'Content-Type': 'application/json' }, body, timeoutMs });

describe('httpCall', () => {
  it('sends method, path, headers and body; reads status, headers by any case, text and JSON', async () => {
    let seen: { method?: string; url?: string; type?: string; body: string } = { body: '' };
    handle = (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen = { method: req.method, url: req.url, type: req.headers['content-type'], body };
        res.writeHead(201, { 'Content-Type': 'application/json', 'X-Id': 'a' });
        // In pieces: the answer is the whole body.
        res.write('{"id":');
        setTimeout(() => res.end('"gw-1"}'), 5);
      });
    };
    const reply = await call(2_000, '{"text":"héllo"}');
    expect(seen).toEqual({ method: 'POST', url: '/send?x=1', type: 'application/json', body: '{"text":"héllo"}' });
    expect(reply).toMatchObject({ status: 201, text: '{"id":"gw-1"}', json: { id: 'gw-1' } });
    expect(reply.headers.get('x-id')).toBe('a');
    expect(reply.headers.get('X-ID')).toBe('a');
    expect(reply.headers.get('retry-after')).toBeNull();
  });

  it('keeps a non-JSON or empty body as text, and a repeated header joined', async () => {
    handle = (_req, res) => {
      res.setHeader('Set-Cookie', ['a=1', 'b=2']);
      res.writeHead(429, { 'Retry-After': '7' });
      res.end('\ufeffslow down');
    };
    const reply = await call();
    expect(reply).toMatchObject({ status: 429, text: 'slow down', json: undefined });
    expect(reply.headers.get('Retry-After')).toBe('7');
    expect(reply.headers.get('set-cookie')).toBe('a=1, b=2');
    handle = (_req, res) => res.writeHead(204).end();
    expect(await call()).toMatchObject({ status: 204, text: '', json: undefined });
  });

  it('a URL that cannot be called is a CONFIG error naming the provider, not retried, never sent', async () => {
    let requests = 0;
    handle = (_req, res) => void (requests++, res.writeHead(200).end());
    for (const bad of ['http://127.0.0.1:99999/send', 'http://exa mple/send', 'ftp://127.0.0.1/send']) {
      const e = await httpCall('p1', { method: 'POST', url: bad, timeoutMs: 1_000 }).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(ProviderError);
      expect(e).toMatchObject({ code: 'CONFIG', retryable: false, message: expect.stringMatching(/^p1: the provider's URL is not /) });
    }
    expect(requests).toBe(0);
    // The next good URL is called as before.
    expect(await call()).toMatchObject({ status: 200 });
  });

  it('a header undici refuses (a key with a line break) is a CONFIG error: never sent, so not maybe-accepted nor retried', async () => {
    let requests = 0;
    handle = (_req, res) => void (requests++, res.writeHead(200).end());
    for (const value of ['Bearer k\n', 'Bearer k\r', 'a\u0000b']) {
      const e = await httpCall('p1', { method: 'POST', url, headers: { Authorization: value }, body: '{}', timeoutMs: 1_000 }).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(ProviderError);
      expect(e).toMatchObject({ code: 'CONFIG', retryable: false, details: { providerCode: 'UND_ERR_INVALID_ARG' } });
      expect((e as ProviderError).details.mayHaveBeenAccepted).toBeFalsy();
      // The header's value may be a key: it is not in the text.
      expect((e as ProviderError).message).not.toContain('Bearer');
    }
    expect(requests).toBe(0);
  });

  it('no answer in time is a TIMEOUT that may have been accepted', async () => {
    handle = () => undefined;
    await expect(call(200)).rejects.toMatchObject({ code: 'TIMEOUT', details: { mayHaveBeenAccepted: true } });
  });

  it('a status line without its body is a NETWORK error that may have been accepted', async () => {
    handle = (req, res) => {
      res.writeHead(200, { 'Content-Length': '100' });
      res.write('{"id":');
      setTimeout(() => req.socket.destroy(), 20);
    };
    await expect(call()).rejects.toMatchObject({ code: 'NETWORK', details: { httpStatus: 200, mayHaveBeenAccepted: true } });
    handle = (_req, res) => {
      res.writeHead(200, { 'Content-Length': '100' });
      res.write('{"id":');
    };
    await expect(call(200)).rejects.toMatchObject({ code: 'NETWORK', details: { httpStatus: 200, mayHaveBeenAccepted: true } });
  });

  it('a refused connection is a NETWORK error that was not accepted', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await expect(httpCall('p1', { method: 'POST', url: `http://127.0.0.1:${port}/x`, body: '{}', timeoutMs: 2_000 })).rejects.toMatchObject({
      code: 'NETWORK',
      details: { providerCode: 'ECONNREFUSED', mayHaveBeenAccepted: false },
    });
  });

  it('a connection that never comes: a TIMEOUT at the deadline, or the connect timeout of undici (10 s) first; neither accepted', async () => {
    // A listener that never accepts (its process is blocked): once its queue is full, a connect hangs.
    const child = spawn(process.execPath, ['-e', "require('net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, function () { console.log(this.address().port); setTimeout(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30000), 10); })"]);
    const fillers: net.Socket[] = [];
    try {
      const port = await new Promise<number>((r) => child.stdout.once('data', (d: Buffer) => r(Number(String(d).trim()))));
      await new Promise((r) => setTimeout(r, 100));
      for (let i = 0; i < 4; i++) fillers.push(net.connect(port, '127.0.0.1').on('error', () => undefined));
      await new Promise((r) => setTimeout(r, 200));
      const hanging = (timeoutMs: number) => {
        const started = Date.now();
        return httpCall('p1', { method: 'POST', url: `http://127.0.0.1:${port}/x`, body: '{}', timeoutMs }).then(
          () => ({ ms: Date.now() - started, failure: undefined as unknown }),
          (failure: unknown) => ({ ms: Date.now() - started, failure }),
        );
      };
      const [short, long] = await Promise.all([hanging(300), hanging(15_000)]);
      expect(short.failure).toMatchObject({ code: 'TIMEOUT', details: { mayHaveBeenAccepted: false } });
      expect(short.ms).toBeLessThan(2_000);
      expect(long.failure).toMatchObject({ code: 'NETWORK', details: { providerCode: 'UND_ERR_CONNECT_TIMEOUT', mayHaveBeenAccepted: false } });
    } finally {
      for (const f of fillers) f.destroy();
      child.kill('SIGKILL');
    }
  }, 30_000);
});
