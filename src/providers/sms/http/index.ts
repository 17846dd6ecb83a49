/**
 * `http` SMS provider: any gateway with an HTTP API, described by configuration.
 *
 * Options: url (placeholders allowed, URL-encoded), method? (POST | PUT | GET, default POST),
 * headers? ({name: value}, e.g. an Authorization), contentType? ('json' | 'form', default
 * 'json'), body? (template; default {"to":"{{to}}","text":"{{text}}","messageId":"{{messageId}}"}
 * or its form equivalent; not sent with GET), idPath? (dot path to the gateway's id in a JSON
 * answer, e.g. `data.messages.0.id`), successStatus? (status or list of statuses meaning
 * accepted; default any 2xx), timeoutMs? (default 15000). Without idPath, or when the answer
 * has nothing there, the provider id is `<instance id>:<messageId>:<part>`.
 *
 * Placeholders: {{to}} (E.164), {{text}}, {{messageId}}, {{part}}, {{validUntil}} (ISO 8601),
 * {{validForS}} (seconds left). In a json body a value is JSON-string-escaped (write
 * "{{text}}" inside quotes); in a form body or the url it is URL-encoded. Errors: 429 ->
 * RATE_LIMITED (Retry-After kept), 5xx -> SERVER_ERROR, 401/403 -> AUTH, other -> REJECTED,
 * no answer -> TIMEOUT/NETWORK. No delivery reports: a message ends at `sent`.
 */
import { z } from 'zod';
import { type OutboundSms, type ProviderConfig, type ProviderContext, type SendResult, type SmsProvider } from '../../types';
import { httpCall, httpStatusError, httpUrlProblem, msLeft, type HttpCall } from '../../http-call';
import { parseOptions, timeoutMsOption } from '../../options';

const TYPE = 'http';
const PLACEHOLDERS = ['to', 'text', 'messageId', 'part', 'validUntil', 'validForS'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];
const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

const DEFAULT_BODY = {
  json: '{"to":"{{to}}","text":"{{text}}","messageId":"{{messageId}}"}',
  form: 'to={{to}}&text={{text}}&messageId={{messageId}}',
} as const;

const optionsSchema = z.object({
  url: z.string().regex(/^https?:\/\/\S+$/, 'must be an http(s) URL'),
  method: z.enum(['POST', 'PUT', 'GET']).default('POST'),
  headers: z.record(z.string()).default({}),
  contentType: z.enum(['json', 'form']).default('json'),
  body: z.string().optional(),
  idPath: z.string().regex(/^[^.]+(\.[^.]+)*$/, 'must be a dot path such as data.id').optional(),
  successStatus: z
    .union([z.number().int().min(100).max(599), z.array(z.number().int().min(100).max(599)).nonempty()])
    .optional(),
  timeoutMs: timeoutMsOption(15000),
});
export type HttpSmsOptions = z.infer<typeof optionsSchema>;

type Values = Record<Placeholder, string>;
type Escape = (v: string) => string;

/** What JSON.stringify escapes in a string: quotes, backslashes, control characters, lone surrogates. */
const NEEDS_JSON_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
// A value with nothing to escape (most numbers, ids and texts) is its own JSON text: no two strings made per value.
const jsonEscape: Escape = (v) => (NEEDS_JSON_ESCAPE.test(v) ? JSON.stringify(v).slice(1, -1) : v);

function render(template: string, values: Values, escape: Escape): string {
  return template.replace(PLACEHOLDER, (_, name: string) => escape(values[name as Placeholder]));
}

/** A template split once into its text and placeholders: each message only joins the pieces (no regex per send). */
function compile(template: string, escape: Escape): (values: Values) => string {
  const pieces = template.split(PLACEHOLDER);
  // split with a capture group: text at even indexes, placeholder names at odd ones.
  return (values) => {
    let out = pieces[0];
    for (let i = 1; i < pieces.length; i += 2) out += escape(values[pieces[i] as Placeholder]) + pieces[i + 1];
    return out;
  };
}

function unknownPlaceholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]).filter((n) => !(PLACEHOLDERS as readonly string[]).includes(n));
}

/** Follows `a.b.0.c` through objects and arrays; undefined when a step is missing. */
export function valueAt(json: unknown, path: string): unknown {
  let cur: unknown = json;
  for (const step of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[step];
  }
  return cur;
}

/** The options, with the default body filled in and the templates checked against the placeholders. */
function checkedOptions(cfg: ProviderConfig): HttpSmsOptions & { body: string } {
  const o = parseOptions(optionsSchema, cfg, TYPE);
  const body = o.body ?? DEFAULT_BODY[o.contentType];
  const fail = (m: string): Error => new Error(`provider '${cfg.id}' (${TYPE}): ${m}`);
  if (o.method === 'GET' && o.body !== undefined) throw fail("option 'body' cannot be sent with GET: put the placeholders in 'url'");
  for (const [where, t] of [['url', o.url], ['body', body]] as const) {
    const unknown = unknownPlaceholders(t);
    if (unknown.length > 0) throw fail(`option '${where}' has unknown placeholder(s) ${unknown.join(', ')}; known: ${PLACEHOLDERS.join(', ')}`);
  }
  const sample: Values = { to: '+1', text: 'a "quoted"\ntext', messageId: 'm', part: '0', validUntil: new Date(0).toISOString(), validForS: '1' };
  // A URL undici cannot call (e.g. a port above 65535) is refused now, not as a CONFIG error at every message.
  const urlProblem = httpUrlProblem(render(o.url, sample, encodeURIComponent));
  if (urlProblem) throw fail(`option 'url' ${urlProblem}`);
  if (o.method !== 'GET' && o.contentType === 'json') {
    // Catch a template that cannot produce JSON now, not at the first message.
    try {
      JSON.parse(render(body, sample, jsonEscape));
    } catch (e) {
      throw fail(`option 'body' does not render to JSON (${(e as Error).message}); string placeholders belong inside quotes`);
    }
  }
  return { ...o, body };
}

function isSuccess(status: number, accepted: HttpSmsOptions['successStatus']): boolean {
  if (accepted === undefined) return status >= 200 && status <= 299;
  return Array.isArray(accepted) ? accepted.includes(status) : accepted === status;
}

export function create(cfg: ProviderConfig, _ctx: ProviderContext): SmsProvider {
  const opts = checkedOptions(cfg);
  const contentType = opts.contentType === 'json' ? 'application/json' : 'application/x-www-form-urlencoded';
  const withBody = opts.method !== 'GET';
  const url = compile(opts.url, encodeURIComponent);
  const body = compile(opts.body, opts.contentType === 'json' ? jsonEscape : encodeURIComponent);
  const headers = { Accept: 'application/json', ...(withBody ? { 'Content-Type': contentType } : {}), ...opts.headers };
  const used = new Set([...opts.url.matchAll(PLACEHOLDER), ...(withBody ? opts.body.matchAll(PLACEHOLDER) : [])].map((m) => m[1]));
  const [usesPart, usesValidUntil, usesValidForS] = [used.has('part'), used.has('validUntil'), used.has('validForS')];

  return {
    id: cfg.id,
    type: TYPE,
    channel: 'sms',

    async send(msg: OutboundSms): Promise<SendResult> {
      const left = msLeft(msg.validUntil);
      // Only what the templates use is formatted (the default body needs to, text and messageId).
      const values = {
        to: msg.to,
        text: msg.text,
        messageId: msg.messageId,
        part: usesPart ? String(msg.part) : '',
        validUntil: usesValidUntil ? msg.validUntil.toISOString() : '',
        validForS: usesValidForS ? String(Math.floor(left / 1000)) : '',
      } satisfies Values;
      const call: HttpCall = { method: opts.method, url: url(values), headers, timeoutMs: opts.timeoutMs };
      if (withBody) call.body = body(values);
      const reply = await httpCall(cfg.id, call);
      if (!isSuccess(reply.status, opts.successStatus)) throw httpStatusError(cfg.id, 'the gateway', reply);
      // The status said accepted, so it was: without an id at idPath, Herald's own reference stands in.
      const id = opts.idPath ? valueAt(reply.json, opts.idPath) : undefined;
      const providerMessageId = typeof id === 'string' || typeof id === 'number' ? String(id) : `${cfg.id}:${msg.messageId}:${msg.part}`;
      return { providerMessageId, status: 'sent', providerStatus: String(reply.status) };
    },
  };
}
