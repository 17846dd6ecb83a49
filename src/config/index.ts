// The only place that reads process.env. Loads config/default.json, then the file named by
// HERALD_CONFIG (if any), then environment overrides; validates; fails with one clear line.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { isSupportedRegion } from '../domain/contact';
import { isZone as isValidZone } from '../domain/usage-buckets';
import { parseCredits } from '../domain/credits';
import { ConfigError } from '../domain/errors';
import { resolveFileVariants, resolveOptionFiles } from './secret-files';
import { webhooksConfigSchema } from './webhooks';
import type { ProviderConfig } from '../providers/types';

const providerSchema = z.object({
  // 'we_' is reserved: /v1/webhooks/we_... are the client's endpoints, never a provider's delivery reports.
  id: z.string().min(1).refine((id) => !id.startsWith('we_'), "may not start with 'we_' (reserved for client webhook endpoints)"),
  type: z.string().min(1),
  options: z.record(z.unknown()).default({}),
  /** Initial routing state; stored on first start, then changed at run time (PATCH /v1/providers/:id). */
  weight: z.number().min(0).optional(),
  ratePerSecond: z.number().int().min(1).optional(),
  paused: z.boolean().optional(),
});

/** A number of credits, exact to the milli-credit. */
const creditAmount = z.number().min(0).refine((v) => parseCredits(v).ok, 'must be a number of credits with at most 3 decimals');

const configSchema = z.object({
  dispatchPort: z.number().int().min(0).max(65535),
  host: z.string().min(1),
  publicUrl: z.string().url().optional(),
  mongodbUri: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb://').optional(),
  amqpUrl: z.string().regex(/^amqps?:\/\//, 'must start with amqp://').optional(),
  /** Prefix of every exchange and queue name, so several Herald installations can share a broker. */
  amqpPrefix: z.string().regex(/^[A-Za-z0-9._-]+$/, 'must be letters, digits, dot, dash or underscore'),
  dataDir: z.string().min(1),
  validityHours: z.number().positive(),
  /** How long an Idempotency-Key is remembered: the same key and body answer the first result meanwhile. */
  idempotencyHours: z.number().min(24, 'must be at least 24 (hours)'),
  legacyTimezone: z.string().min(1),
  /** What POST / does with a window that closed before it arrived: dispatch now with default validity, or refuse with 422. */
  legacyPastWindow: z.enum(['reanchor', 'reject']),
  /** Demo data on an empty store: on the embedded store only (the default), always, or never. */
  seedDemoData: z.enum(['embedded', 'always', 'never']),
  http: z.object({ bodyLimit: z.string().min(1) }),
  auth: z.object({
    /** Bootstrap admin key of the default workspace (never stored): HERALD_ADMIN_KEY, or HERALD_ADMIN_KEY_FILE (a Docker secret). */
    adminKey: z.string().min(16, 'must be at least 16 characters').optional(),
    /** POST / (the original body) without a key even once keys exist: for a trusted network only. */
    legacyOpen: z.boolean(),
  }),
  /** Requests per key (per client address without one) in each window, shared by every server process. */
  rateLimit: z.object({ windowMs: z.number().int().min(100), max: z.number().int().min(1) }),
  /** smartEncoding: replace Unicode look-alikes (curly quotes, long dashes, ellipsis, no-break space) with GSM-7 before counting and sending. */
  sms: z.object({ maxLength: z.number().int().min(1).max(10000), smartEncoding: z.boolean() }),
  dispatch: z.object({
    batchSize: z.number().int().min(1).max(10000),
    /** Message ids per queue message to a channel worker: one publish, confirm and ack for all of them. */
    messagesPerDelivery: z.number().int().min(1).max(500),
  }),
  worker: z.object({
    prefetch: z.number().int().min(1).max(1000),
    maxAttempts: z.number().int().min(1).max(100),
    retryBaseMs: z.number().int().min(1),
    retryMaxMs: z.number().int().min(1),
    /** How long one provider attempt holds a message unless renewed (every third of it, while the worker lives); a dead worker's messages are free again after it. */
    leaseMs: z.number().int().min(100),
    /** A worker process's own HTTP port for /health/live, /health/ready and /metrics; 0 picks a free one (logged). Optional in the type only: config/default.json sets 9090. */
    httpPort: z.number().int().min(0).max(65535).optional(),
  }),
  scheduler: z.object({ intervalMs: z.number().int().min(50) }),
  /** Google Sheets export (src/services/sheets). */
  sheets: z
    .object({
      /** Root of Google's APIs and of its OAuth token endpoint (<root>/token); unset: Google's own. Tests point it at a local fake. */
      googleApiRoot: z.string().url().optional(),
      /** Service-account key file of targets registered without their own (GOOGLE_APPLICATION_CREDENTIALS). */
      credentialsFile: z.string().min(1).optional(),
      /** Rows per values.append call: a few hundred stays inside Google's per-minute quotas. */
      batchRows: z.number().int().min(1).max(10_000).default(500),
      /** How often a sheets worker looks for rows left waiting (a failed or contended run). */
      sweepMs: z.number().int().min(50).default(5000),
      /** Each Google request's timeout. */
      timeoutMs: z.number().int().min(100).default(30_000),
      /** Tries of one Google call (429, 5xx, timeouts) before the run gives up until the next sweep. */
      maxAttempts: z.number().int().min(1).max(50).default(6),
      retryBaseMs: z.number().int().min(1).default(1000),
      retryMaxMs: z.number().int().min(1).default(60_000),
      /** How long a worker holds a target's run unless renewed (before each append); a killed worker's targets are taken over after it. */
      leaseMs: z.number().int().min(500).default(60_000),
    })
    .refine((s) => s.leaseMs > s.timeoutMs, { message: 'leaseMs must be longer than timeoutMs (an append must end inside the lease)', path: ['leaseMs'] })
    .default({}),
  credits: z.object({
    /** Default price of one SMS segment and of one e-mail, in credits; a workspace may have its own. */
    smsSegmentPrice: creditAmount,
    emailPrice: creditAmount,
    currencyName: z.string().min(1).max(40),
    /** Balance the `default` workspace's account opens with; null: unmetered. */
    defaultBalance: creditAmount.nullable(),
    /** Live balance streams: at most one `balance` event per this many ms, and a re-read at least this often. */
    streamCoalesceMs: z.number().int().min(50).max(10_000),
    streamPollMs: z.number().int().min(100),
  }),
  log: z.object({
    level: z.enum(['error', 'warn', 'info', 'debug']),
    toStore: z.boolean(),
    /** Human-readable lines on a terminal, JSON lines otherwise (auto); or always one of them. */
    format: z.enum(['auto', 'json', 'pretty']),
    /** Phone numbers and e-mail addresses masked in every log line; off only for debugging. */
    maskPersonalData: z.boolean(),
  }),
  /** Region for phone numbers written without a country code (ISO 3166 alpha-2, e.g. KE); unset: E.164 only. */
  phone: z.object({
    defaultRegion: z
      .string()
      .refine((r) => isSupportedRegion(r), 'must be a two-letter region code libphonenumber knows, e.g. KE')
      .optional(),
  }),
  /** Campaigns and CSV imports: the workspace's zone and send hour read `sending_time`; longMessages: split over-long texts or refuse the row. */
  campaigns: z.object({
    timezone: z.string().refine((tz) => isValidZone(tz), 'must be an IANA time zone, e.g. Africa/Nairobi'),
    sendHour: z.number().int().min(0).max(23),
    longMessages: z.enum(['split', 'refuse']),
    /** Start scheduled campaigns when their time comes; false: only `herald send-scheduled` (a cron) or POST .../run starts them. */
    autoStart: z.boolean(),
  }),
  /** Where the `herald` client commands (status, logs, outbox, send) find a running Herald. */
  cli: z.object({ url: z.string().url(), key: z.string().min(1).optional() }),
  providers: z.object({
    sms: z.array(providerSchema),
    email: z.array(providerSchema),
    /** How often every worker re-reads the shared routing state (pause, order, weight, rate). */
    refreshMs: z.number().int().min(50),
    /** Consecutive failures that open a provider's circuit in a worker, and how long it stays open. */
    circuitFailures: z.number().int().min(1),
    circuitOpenMs: z.number().int().min(100),
    /** Extra ms per second between a rate-limited provider's send slots: network jitter up to it cannot put rate + 1 sends in one of the provider's seconds. */
    rateGuardMs: z.number().int().min(0).max(1000),
  }),
  webhooks: webhooksConfigSchema,
});

export type HeraldConfig = Omit<z.infer<typeof configSchema>, 'providers'> & {
  providers: { sms: ProviderConfig[]; email: ProviderConfig[]; refreshMs: number; circuitFailures: number; circuitOpenMs: number; rateGuardMs: number };
};

type Env = Record<string, string | undefined>;
type Kind = 'int' | 'number' | 'string' | 'bool' | 'json';

/** Every environment override: variable, config path, kind. The README's table is this list. */
export const ENV_KEYS: ReadonlyArray<{ env: string; path: string; kind: Kind; doc: string }> = [
  { env: 'DISPATCH_PORT', path: 'dispatchPort', kind: 'int', doc: 'HTTP port of the dispatch server' },
  { env: 'HERALD_HOST', path: 'host', kind: 'string', doc: 'address the HTTP server binds' },
  { env: 'HERALD_PUBLIC_URL', path: 'publicUrl', kind: 'string', doc: 'public base URL, for provider callbacks' },
  { env: 'MONGODB_URI', path: 'mongodbUri', kind: 'string', doc: 'MongoDB store; unset: embedded SQLite store' },
  { env: 'AMQP_URL', path: 'amqpUrl', kind: 'string', doc: 'RabbitMQ bus; unset: embedded queue' },
  { env: 'HERALD_AMQP_PREFIX', path: 'amqpPrefix', kind: 'string', doc: 'prefix of RabbitMQ exchange and queue names' },
  { env: 'HERALD_DATA_DIR', path: 'dataDir', kind: 'string', doc: 'embedded store, queue and outbox folder' },
  { env: 'HERALD_VALIDITY_HOURS', path: 'validityHours', kind: 'number', doc: 'validity of an open window' },
  { env: 'HERALD_IDEMPOTENCY_HOURS', path: 'idempotencyHours', kind: 'number', doc: 'how long an Idempotency-Key is kept (at least 24)' },
  { env: 'HERALD_LEGACY_TIMEZONE', path: 'legacyTimezone', kind: 'string', doc: 'zone of MM/DD/YYYY HH:mm times on POST /' },
  { env: 'HERALD_LEGACY_PAST_WINDOW', path: 'legacyPastWindow', kind: 'string', doc: 'reanchor or reject a closed legacy window' },
  { env: 'HERALD_SEED_DEMO', path: 'seedDemoData', kind: 'string', doc: 'demo data into an empty store: embedded, always or never' },
  { env: 'HERALD_BODY_LIMIT', path: 'http.bodyLimit', kind: 'string', doc: 'largest accepted request body' },
  { env: 'HERALD_ADMIN_KEY', path: 'auth.adminKey', kind: 'string', doc: 'bootstrap admin API key (at least 16 characters)' },
  { env: 'HERALD_LEGACY_OPEN', path: 'auth.legacyOpen', kind: 'bool', doc: 'POST / without a key once keys exist (trusted network only)' },
  { env: 'HERALD_RATE_LIMIT', path: 'rateLimit.max', kind: 'int', doc: 'requests per key (or client address) per window' },
  { env: 'HERALD_RATE_LIMIT_WINDOW_MS', path: 'rateLimit.windowMs', kind: 'int', doc: 'rate-limit window' },
  { env: 'SMS_MAX_LENGTH', path: 'sms.maxLength', kind: 'int', doc: 'longest SMS text before it is split' },
  { env: 'HERALD_SMS_SMART_ENCODING', path: 'sms.smartEncoding', kind: 'bool', doc: 'replace curly quotes, long dashes, ellipsis and no-break spaces with GSM-7 look-alikes before counting and sending' },
  { env: 'HERALD_DISPATCH_BATCH', path: 'dispatch.batchSize', kind: 'int', doc: 'subscribers read per fan-out batch' },
  { env: 'HERALD_MESSAGES_PER_DELIVERY', path: 'dispatch.messagesPerDelivery', kind: 'int', doc: 'message ids per queue message to a channel worker' },
  { env: 'HERALD_PREFETCH', path: 'worker.prefetch', kind: 'int', doc: 'messages in flight per channel worker' },
  { env: 'HERALD_MAX_ATTEMPTS', path: 'worker.maxAttempts', kind: 'int', doc: 'provider attempts before failed' },
  { env: 'HERALD_RETRY_BASE_MS', path: 'worker.retryBaseMs', kind: 'int', doc: 'first retry delay' },
  { env: 'HERALD_RETRY_MAX_MS', path: 'worker.retryMaxMs', kind: 'int', doc: 'longest retry delay' },
  { env: 'HERALD_LEASE_MS', path: 'worker.leaseMs', kind: 'int', doc: 'lease of one send attempt, renewed while the worker lives' },
  { env: 'HERALD_WORKER_HTTP_PORT', path: 'worker.httpPort', kind: 'int', doc: 'worker port for /health/live, /health/ready and /metrics (0: any free port)' },
  { env: 'HERALD_SCHEDULER_MS', path: 'scheduler.intervalMs', kind: 'int', doc: 'scheduler and sweeper period' },
  { env: 'HERALD_GOOGLE_API_ROOT', path: 'sheets.googleApiRoot', kind: 'string', doc: "root URL of Google's APIs and of their token endpoint (ROOT/token), for proxies and tests" },
  { env: 'GOOGLE_APPLICATION_CREDENTIALS', path: 'sheets.credentialsFile', kind: 'string', doc: 'service-account key file of Sheets exports registered without keyFile' },
  { env: 'HERALD_SHEETS_BATCH_ROWS', path: 'sheets.batchRows', kind: 'int', doc: 'rows per Google Sheets append call' },
  { env: 'HERALD_SHEETS_SWEEP_MS', path: 'sheets.sweepMs', kind: 'int', doc: 'how often the sheets worker looks for rows left waiting' },
  { env: 'HERALD_SHEETS_LEASE_MS', path: 'sheets.leaseMs', kind: 'int', doc: "a sheets worker's hold on an export, renewed before each append; a killed worker's exports resume after it" },
  { env: 'HERALD_SHEETS_TIMEOUT_MS', path: 'sheets.timeoutMs', kind: 'int', doc: 'timeout of each Google Sheets request (shorter than the lease)' },
  { env: 'HERALD_CREDITS_SMS_PRICE', path: 'credits.smsSegmentPrice', kind: 'number', doc: 'default credits per SMS segment' },
  { env: 'HERALD_CREDITS_EMAIL_PRICE', path: 'credits.emailPrice', kind: 'number', doc: 'default credits per e-mail' },
  { env: 'HERALD_CREDITS_CURRENCY', path: 'credits.currencyName', kind: 'string', doc: 'name the API gives credits (currencyName)' },
  { env: 'HERALD_CREDITS_DEFAULT_BALANCE', path: 'credits.defaultBalance', kind: 'number', doc: 'opening credits of the default workspace; unset: unmetered' },
  { env: 'HERALD_CREDITS_STREAM_MS', path: 'credits.streamCoalesceMs', kind: 'int', doc: 'live balance: at most one event per this many ms' },
  { env: 'HERALD_CREDITS_STREAM_POLL_MS', path: 'credits.streamPollMs', kind: 'int', doc: 'live balance: re-read the balance at least this often' },
  { env: 'LOG_LEVEL', path: 'log.level', kind: 'string', doc: 'error, warn, info or debug' },
  { env: 'HERALD_LOG_TO_STORE', path: 'log.toStore', kind: 'bool', doc: 'write log lines to the consolidated log' },
  { env: 'LOG_FORMAT', path: 'log.format', kind: 'string', doc: 'stdout lines: auto (readable on a terminal, else JSON), json or pretty' },
  { env: 'HERALD_LOG_MASK', path: 'log.maskPersonalData', kind: 'bool', doc: 'mask phone numbers and e-mail addresses in log lines (false only to debug)' },
  { env: 'HERALD_PHONE_REGION', path: 'phone.defaultRegion', kind: 'string', doc: 'region of phone numbers without a country code, e.g. KE' },
  { env: 'HERALD_TIMEZONE', path: 'campaigns.timezone', kind: 'string', doc: "the workspace's IANA time zone: CSV sending times and the words today/tomorrow are read in it" },
  { env: 'HERALD_SEND_HOUR', path: 'campaigns.sendHour', kind: 'int', doc: 'hour (0-23, in that zone) at which `today` and `tomorrow` campaigns go out' },
  { env: 'HERALD_LONG_MESSAGES', path: 'campaigns.longMessages', kind: 'string', doc: 'a campaign text longer than the maximum SMS length: split (sent in parts, in order) or refuse the row' },
  { env: 'HERALD_CAMPAIGN_AUTOSTART', path: 'campaigns.autoStart', kind: 'bool', doc: 'start scheduled campaigns when due (false: `herald send-scheduled` from cron, or POST /v1/campaigns/:id/run, starts them)' },
  { env: 'HERALD_URL', path: 'cli.url', kind: 'string', doc: 'the Herald the herald client commands talk to' },
  { env: 'HERALD_KEY', path: 'cli.key', kind: 'string', doc: 'API key the herald client commands send (Authorization: Bearer)' },
  { env: 'HERALD_SMS_PROVIDERS', path: 'providers.sms', kind: 'json', doc: 'JSON list of SMS provider instances' },
  { env: 'HERALD_EMAIL_PROVIDERS', path: 'providers.email', kind: 'json', doc: 'JSON list of email provider instances' },
  { env: 'HERALD_PROVIDERS_REFRESH_MS', path: 'providers.refreshMs', kind: 'int', doc: 'how often workers re-read provider pause/order/weight/rate' },
  { env: 'HERALD_CIRCUIT_FAILURES', path: 'providers.circuitFailures', kind: 'int', doc: 'consecutive failures that open a provider circuit' },
  { env: 'HERALD_CIRCUIT_OPEN_MS', path: 'providers.circuitOpenMs', kind: 'int', doc: 'longest an open circuit waits before its next trial (spells start at 1 s and double)' },
  { env: 'HERALD_RATE_GUARD_MS', path: 'providers.rateGuardMs', kind: 'int', doc: 'extra ms per second between rate-limited sends, for network jitter' },
  { env: 'HERALD_WEBHOOKS_ALLOW_PRIVATE', path: 'webhooks.allowPrivate', kind: 'bool', doc: 'let client webhooks reach loopback, link-local and private addresses' },
  { env: 'HERALD_WEBHOOKS_TIMEOUT_MS', path: 'webhooks.timeoutMs', kind: 'int', doc: 'one webhook attempt: connect, answer and body within this' },
  { env: 'HERALD_WEBHOOKS_MAX_RESPONSE_BYTES', path: 'webhooks.maxResponseBytes', kind: 'int', doc: 'bytes of a webhook answer read at most (its status is what counts)' },
  { env: 'HERALD_WEBHOOKS_RETRY_BASE_MS', path: 'webhooks.retryBaseMs', kind: 'int', doc: 'first webhook retry after about this (doubling, with jitter)' },
  { env: 'HERALD_WEBHOOKS_RETRY_MAX_MS', path: 'webhooks.retryMaxMs', kind: 'int', doc: 'longest wait between two webhook attempts' },
  { env: 'HERALD_WEBHOOKS_RETRY_FOR_MS', path: 'webhooks.retryForMs', kind: 'int', doc: 'a webhook delivery is tried for this long, then kept as failed' },
  { env: 'HERALD_WEBHOOKS_DISABLE_AFTER_MS', path: 'webhooks.disableAfterMs', kind: 'int', doc: 'an endpoint failing every attempt for this long is disabled' },
  { env: 'HERALD_WEBHOOKS_CONCURRENCY', path: 'webhooks.concurrencyPerEndpoint', kind: 'int', doc: 'webhook attempts in flight per endpoint per process' },
  { env: 'HERALD_WEBHOOKS_POLL_MS', path: 'webhooks.pollMs', kind: 'int', doc: 'how often the webhook worker looks for due deliveries' },
  { env: 'HERALD_WEBHOOKS_ENDPOINT_CACHE_MS', path: 'webhooks.endpointCacheMs', kind: 'int', doc: 'how long a process trusts its list of webhook endpoints' },
  { env: 'HERALD_WEBHOOKS_RETENTION_DAYS', path: 'webhooks.retentionDays', kind: 'number', doc: 'finished webhook deliveries are kept this many days' },
];

function setPath(obj: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    if (typeof cur[k] !== 'object' || cur[k] === null) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]] = value;
}

function parseEnvValue(name: string, raw: string, kind: Kind): unknown {
  const fail = (what: string): never => {
    throw new ConfigError(`config: ${name} must be ${what} (got '${raw}')`);
  };
  switch (kind) {
    case 'int':
      return /^-?\d+$/.test(raw.trim()) ? Number(raw) : fail('an integer');
    case 'number':
      return raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : fail('a number');
    case 'bool':
      return ['1', 'true', 'yes'].includes(raw.toLowerCase()) ? true : ['0', 'false', 'no'].includes(raw.toLowerCase()) ? false : fail('true or false');
    case 'json':
      try {
        return JSON.parse(raw);
      } catch {
        return fail('valid JSON');
      }
    default:
      return raw;
  }
}

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new ConfigError(`config: cannot read ${file}: ${(e as Error).message}`);
  }
}

/** Shortcuts: TWILIO_* and SMTP_* variables configure one provider each without a JSON list. */
function providerShortcuts(env: Env, cfg: Record<string, unknown>): void {
  const providers = cfg.providers as { sms: unknown[]; email: unknown[] };
  if (env.TWILIO_ACCOUNT_SID && !providers.sms.some((p) => (p as { type?: string }).type === 'twilio')) {
    providers.sms.push({
      id: 'twilio',
      type: 'twilio',
      options: { accountSid: env.TWILIO_ACCOUNT_SID, authToken: env.TWILIO_AUTH_TOKEN ?? '', from: env.TWILIO_FROM ?? '', apiUrl: env.TWILIO_API_URL },
    });
  }
  if (env.SMTP_URL && !providers.email.some((p) => (p as { type?: string }).type === 'smtp')) {
    providers.email.push({ id: 'smtp', type: 'smtp', options: { url: env.SMTP_URL, from: env.SMTP_FROM ?? 'Herald <herald@localhost>' } });
  }
}

const DEFAULT_FILE = path.resolve(__dirname, '../../config/default.json');

/** Variables read besides ENV_KEYS (the provider shortcuts and the config file). */
const OTHER_ENV = ['HERALD_CONFIG', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM', 'TWILIO_API_URL', 'SMTP_URL', 'SMTP_FROM'];

/** Every variable Herald reads; each may instead be given as <NAME>_FILE (Docker secrets). */
export function envNames(): string[] {
  return [...ENV_KEYS.map((k) => k.env), ...OTHER_ENV];
}

export function loadConfig(processEnv: Env = process.env, overrides: Record<string, unknown> = {}): HeraldConfig {
  const env = resolveFileVariants(processEnv, envNames());
  const raw = readJson(DEFAULT_FILE);
  if (env.HERALD_CONFIG) Object.assign(raw, readJson(env.HERALD_CONFIG));
  for (const { env: name, path: p, kind } of ENV_KEYS) {
    const v = env[name];
    if (v !== undefined && v !== '') setPath(raw, p, parseEnvValue(name, v, kind));
  }
  for (const [p, v] of Object.entries(overrides)) setPath(raw, p, v);
  providerShortcuts(env, raw);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue.path.join('.');
    const envName = ENV_KEYS.find((k) => k.path === key || key.startsWith(k.path + '.'))?.env;
    throw new ConfigError(`config: ${key}${envName ? ` (${envName})` : ''} ${issue.message}`);
  }
  const data = parsed.data;
  resolveOptionFiles([...data.providers.sms, ...data.providers.email]);
  const withChannel = (channel: 'sms' | 'email') =>
    data.providers[channel].map(
      (p) =>
        ({
          id: p.id, type: p.type, channel, options: p.options,
          ...(p.weight !== undefined ? { weight: p.weight } : {}),
          ...(p.ratePerSecond !== undefined ? { ratePerSecond: p.ratePerSecond } : {}),
          ...(p.paused !== undefined ? { paused: p.paused } : {}),
        }) satisfies ProviderConfig,
    );
  return { ...data, providers: { ...data.providers, sms: withChannel('sms'), email: withChannel('email') } };
}

/** Process facts that are not configuration but still come from the environment. */
export function runtimeEnv(env: Env = process.env): { isCI: boolean; nodeEnv: string; noColor: boolean } {
  // https://no-color.org: any non-empty NO_COLOR turns colour off.
  return { isCI: env.CI === 'true' || env.CI === '1', nodeEnv: env.NODE_ENV ?? 'development', noColor: (env.NO_COLOR ?? '') !== '' };
}

/** For tests and tools: the environment values Herald reads, passed through explicitly. */
export function testEnv(env: Env = process.env): { mongodbUri?: string; amqpUrl?: string; isCI: boolean } {
  return { mongodbUri: env.MONGODB_URI, amqpUrl: env.AMQP_URL, isCI: runtimeEnv(env).isCI };
}
