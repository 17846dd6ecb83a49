// fastJson reads the plain JSON body itself and hands everything else to express.json: for any body a
// client can send, the request must come out exactly as express.json alone leaves it (or fails it).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import express from 'express';
import { fastJson, limitBytes } from '../../src/http/fast-json';

/** Requests the fast route handed to express.json (the plain case must not be one). */
let handedOver = 0;

function app(): express.Express {
  const a = express();
  const json = express.json({ limit: '1kb', type: ['application/json', 'application/*+json'] });
  const counted: express.RequestHandler = (req, res, next) => (handedOver++, json(req, res, next));
  const answer: express.RequestHandler = (req, res) => void res.json({ body: req.body ?? null, has: req.body !== undefined });
  a.post('/fast', fastJson(counted, '1kb'), answer);
  a.post('/plain', json, answer);
  a.use(((err, _req, res, _next) => {
    const e = err as { status?: number; type?: string; message?: string };
    res.status(e.status ?? 500).json({ type: e.type, message: e.message });
  }) as express.ErrorRequestHandler);
  return a;
}

/** The plain case, read without express.json. */
const PLAIN = new Set(['an object', 'an array', 'upper-case type and charset', 'invalid UTF-8', 'exactly the limit']);

const cases: Array<[string, string | Buffer | undefined, Record<string, string>]> = [
  ['an object', '{"a":1,"b":[true,null,"x"]}', { 'Content-Type': 'application/json' }],
  ['an array', '[1,2,{"c":"é"}]', { 'Content-Type': 'application/json; charset=utf-8' }],
  ['upper-case type and charset', '{"a":"ü"}', { 'Content-Type': 'Application/JSON; Charset=UTF-8' }],
  ['leading whitespace', ' \n {"a":1}', { 'Content-Type': 'application/json' }],
  ['a BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')]), { 'Content-Type': 'application/json' }],
  ['a scalar', '1', { 'Content-Type': 'application/json' }],
  ['a string', '"text"', { 'Content-Type': 'application/json' }],
  ['malformed JSON', '{"a": 1, "b": ', { 'Content-Type': 'application/json' }],
  ['a trailing comma', '{"a":1,}', { 'Content-Type': 'application/json' }],
  ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), { 'Content-Type': 'application/json' }],
  ['over the limit', `{"a":"${'x'.repeat(2000)}"}`, { 'Content-Type': 'application/json' }],
  ['exactly the limit', `{"a":"${'x'.repeat(1024 - 8)}"}`, { 'Content-Type': 'application/json' }],
  ['latin-1', '{"a":1}', { 'Content-Type': 'application/json; charset=latin1' }],
  ['a +json type', '{"a":1}', { 'Content-Type': 'application/vnd.herald+json' }],
  ['text/plain', '{"a":1}', { 'Content-Type': 'text/plain' }],
  ['no type', '{"a":1}', {}],
  ['no body', undefined, { 'Content-Type': 'application/json' }],
  ['gzip', zlib.gzipSync('{"a":1}'), { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }],
  ['an unknown encoding', '{"a":1}', { 'Content-Type': 'application/json', 'Content-Encoding': 'zip9' }],
];

describe('fastJson', () => {
  it.each(cases)('leaves %s as express.json does', async (name, body, headers) => {
    const server = app().listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as AddressInfo;
    // The bytes as given (a client library would re-encode a Buffer).
    const send = (path: string) =>
      new Promise<{ status: number; body: unknown }>((resolve, reject) => {
        const bytes = body === undefined ? undefined : Buffer.from(body);
        const req = http.request({ port, host: '127.0.0.1', path, method: 'POST', headers: { ...headers, ...(bytes ? { 'Content-Length': String(bytes.length) } : {}) } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
        });
        req.on('error', reject);
        req.end(bytes);
      });
    try {
      handedOver = 0;
      expect(await send('/fast')).toEqual(await send('/plain'));
      expect(handedOver).toBe(PLAIN.has(name) ? 0 : 1);
    } finally {
      server.close();
    }
  });

  it('reads limits as bytes.parse does, and gives up on anything else', () => {
    expect(limitBytes('100kb')).toBe(102400);
    expect(limitBytes('1.5mb')).toBe(1572864);
    expect(limitBytes('512')).toBe(512);
    expect(limitBytes(2048)).toBe(2048);
    expect(limitBytes('lots')).toBeUndefined();
  });
});
