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
import { storeConfigSchema } from './store';
import { ENV_KEYS, type EnvKind as Kind } from './env-keys';

export { ENV_KEYS } from './env-keys';
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
    /**
     * `herald all` only: threads of the process that run the sms and email workers (each its own store and queue
     * connections), so sending uses a second core; 0: everything on one event loop; auto (config/default.json; also when unset): 1 with 2-3 CPUs, 2 from 4.
     */
    senderThreads: z.preprocess(
      (v) => (typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v),
      z.union([z.literal('auto'), z.number().int().min(0).max(8)], { errorMap: () => ({ message: 'must be auto or a whole number from 0 to 8' }) }),
    ).optional(),
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
  store: storeConfigSchema,
});

export type HeraldConfig = Omit<z.infer<typeof configSchema>, 'providers'> & {
  providers: { sms: ProviderConfig[]; email: ProviderConfig[]; refreshMs: number; circuitFailures: number; circuitOpenMs: number; rateGuardMs: number };
};

type Env = Record<string, string | undefined>;

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
