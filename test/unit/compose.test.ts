// The docker compose stack and the image, checked by parsing: no Docker engine runs on our
// machines, so these are the mistakes a parser can still catch before someone runs `up`.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { ENV_KEYS, envNames, loadConfig } from '../../src/config';

const ROOT = path.resolve(__dirname, '../..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

interface HealthCheck {
  test: string[] | string;
}
interface DependsOn {
  condition?: string;
}
interface Service {
  image?: string;
  build?: string | { context: string };
  command?: string[] | string;
  container_name?: string;
  ports?: Array<string | { published?: string | number; target: number }>;
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: Record<string, DependsOn> | string[];
  healthcheck?: HealthCheck;
  volumes?: Array<string | { source?: string }>;
  restart?: string;
}
interface ComposeFile {
  services: Record<string, Service & { secrets?: string[] }>;
  secrets?: Record<string, { file?: string }>;
  volumes?: Record<string, unknown>;
}

// Compose resolves YAML merge keys (<<: *anchor); the yaml package does when asked.
const compose = YAML.parse(read('docker-compose.yml'), { merge: true }) as ComposeFile;
const services = compose.services;
const HERALD = ['dispatcher', 'sms-worker', 'email-worker', 'sheets-worker'];
const WORKERS = ['sms-worker', 'email-worker', 'sheets-worker'];

function envOf(s: Service): Record<string, string> {
  if (Array.isArray(s.environment)) {
    return Object.fromEntries(s.environment.map((kv) => [kv.split('=')[0], kv.slice(kv.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v ?? '')]));
}

/** .env.example as a user who copied it to .env has it. */
const exampleEnv: Record<string, string> = Object.fromEntries(
  read('.env.example')
    .split(/\r?\n/)
    .filter((l) => /^[A-Z0-9_]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);

/** ${X}, ${X:-default} and ${X:?message} as compose resolves them with `vars` as .env. */
function resolveVars(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::?([-?])([^}]*))?\}/g, (_m, name: string, op: string | undefined, arg: string | undefined) => {
    const v = vars[name];
    if (v !== undefined && v !== '') return v;
    if (op === '?') throw new Error(`compose would refuse to start: ${name} is unset (${arg})`);
    return op === '-' ? (arg ?? '') : '';
  });
}

/** The value compose would use with .env copied from .env.example. */
const withDefaults = (value: string): string => resolveVars(value, exampleEnv);

/** Ports as `host_ip:published:target`; a port without a host ip listens on every interface. */
function portBindings(s: Service): Array<{ hostIp: string; published: string; target: string }> {
  return (s.ports ?? []).map((p) => {
    if (typeof p !== 'string') return { hostIp: '0.0.0.0', published: String(p.published ?? ''), target: String(p.target) };
    const parts = p.split(':');
    const [target, published, hostIp] = [parts.pop()!, parts.pop() ?? '', parts.join(':') || '0.0.0.0'];
    return { hostIp, published, target };
  });
}

const SECRET_NAME = /PASS|PASSWORD|TOKEN|SECRET|(^|_)KEY$|PRIVATE/;

const dependsOn = (s: Service): Record<string, DependsOn> =>
  Array.isArray(s.depends_on) ? Object.fromEntries(s.depends_on.map((n) => [n, {}])) : (s.depends_on ?? {});
const command = (s: Service): string[] => (Array.isArray(s.command) ? s.command : (s.command ?? '').split(/\s+/).filter(Boolean));
const healthTest = (s: Service): string => [s.healthcheck?.test ?? []].flat().join(' ');

describe('docker-compose.yml', () => {
  it('runs mongo, rabbitmq, the dispatcher, the channel workers, the sheets worker and a mail catcher', () => {
    expect(Object.keys(services).sort()).toEqual(['dispatcher', 'email-worker', 'mailpit', 'mongo', 'rabbitmq', 'sheets-worker', 'sms-worker']);
    expect(services.mongo.image).toMatch(/^mongo:\d/);
    expect(services.rabbitmq.image).toMatch(/^rabbitmq:[\d.]+-management$/);
    expect(services.mailpit.image).toMatch(/^axllent\/mailpit(:|$)/);
  });

  it('pins every image it pulls to an exact version (major.minor.patch, or a digest)', () => {
    for (const [name, s] of Object.entries(services)) {
      if (s.build) continue;
      expect(`${name}: ${s.image}`).toMatch(/^[\w-]+: [\w./-]+(:v?\d+\.\d+\.\d+[\w.-]*|@sha256:[0-9a-f]{64})$/);
    }
  });

  it('listens on every interface only with the dispatcher: the others bind 127.0.0.1 or publish nothing', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const b of portBindings(s)) {
        const open = b.hostIp === '0.0.0.0' || b.hostIp === '::' || b.hostIp === '[::]';
        if (name === 'dispatcher') continue;
        expect(`${name} ${b.published}->${b.target} on ${b.hostIp}: ${open ? 'all interfaces' : 'ok'}`).toBe(`${name} ${b.published}->${b.target} on ${b.hostIp}: ok`);
        expect(['127.0.0.1', '::1', '[::1]']).toContain(b.hostIp);
      }
    }
    expect(portBindings(services.mongo)).toEqual([]);
  });

  it('has no secret as a literal: passwords, tokens and URL credentials come from .env (or *_FILE secrets)', () => {
    const fromVariable = (v: string) => /^\$\{[A-Z0-9_]+(:?\?[^}]*)?\}$|^\$\{[A-Z0-9_]+:?-\}$/.test(v);
    for (const [name, s] of Object.entries(services)) {
      for (const [key, value] of Object.entries(envOf(s))) {
        if (SECRET_NAME.test(key) && !key.endsWith('_FILE') && value !== '') {
          expect(`${name} ${key}=${value}: ${fromVariable(value)}`).toBe(`${name} ${key}=${value}: true`);
        }
        // Credentials inside a URL (mongodb://user:pass@…): the password must be a variable too.
        const userinfo = /^[a-z][a-z0-9+.-]*:\/\/([^@/]*)@/i.exec(value)?.[1];
        if (userinfo !== undefined) {
          const literal = userinfo.replace(/\$\{[A-Z0-9_]+:\?[^}]+\}/g, '');
          expect(`${name} ${key} credentials besides required variables: '${literal}'`).toBe(`${name} ${key} credentials besides required variables: ':'`);
        }
      }
    }
    // Nothing in .env.example is a usable password: every one says change-me.
    for (const [k, v] of Object.entries(exampleEnv)) if (/PASSWORD/.test(k)) expect(v).toMatch(/^change-me/);
  });

  it('gives MongoDB and RabbitMQ the users from .env, and Herald the same credentials', () => {
    expect(envOf(services.mongo).MONGO_INITDB_ROOT_PASSWORD).toMatch(/^\$\{MONGO_PASSWORD:\?/);
    expect(envOf(services.rabbitmq).RABBITMQ_DEFAULT_PASS).toMatch(/^\$\{RABBITMQ_PASSWORD:\?/);
    const env = envOf(services.dispatcher);
    const mongo = new URL(withDefaults(env.MONGODB_URI));
    const amqp = new URL(withDefaults(env.AMQP_URL));
    expect([mongo.username, mongo.password]).toEqual([exampleEnv.MONGO_USER, exampleEnv.MONGO_PASSWORD]);
    expect([amqp.username, amqp.password]).toEqual([exampleEnv.RABBITMQ_USER, exampleEnv.RABBITMQ_PASSWORD]);
    // Without .env, compose stops with a message instead of starting a passwordless database.
    expect(() => resolveVars(env.MONGODB_URI, {})).toThrow(/MONGO_USER is unset/);
  });

  it('never seeds demo data', () => {
    for (const name of HERALD) expect(`${name}: ${envOf(services[name]).HERALD_SEED_DEMO}`).toBe(`${name}: never`);
  });

  it('builds one image from this repository for every Herald process', () => {
    const images = new Set(HERALD.map((n) => services[n].image));
    expect(images.size).toBe(1);
    for (const name of HERALD) {
      const build = services[name].build;
      expect(typeof build === 'string' ? build : build?.context).toBe('.');
      expect(services[name].restart).toBe('unless-stopped');
    }
  });

  it('gives mongo, rabbitmq and the dispatcher healthchecks that probe the service', () => {
    expect(healthTest(services.mongo)).toMatch(/^CMD(-SHELL)? mongosh .*ping/);
    expect(healthTest(services.rabbitmq)).toMatch(/^CMD(-SHELL)? rabbitmq-diagnostics .*ping/);
    const port = JSON.parse(read('config/default.json')).dispatchPort as number;
    expect(envOf(services.dispatcher).DISPATCH_PORT).toBeUndefined();
    expect(healthTest(services.dispatcher)).toContain(`http://127.0.0.1:${port}/health`);
    // The slim image has no curl or wget: the probe must run on node.
    expect(healthTest(services.dispatcher)).toMatch(/^CMD node -e /);
  });

  it('gives every service a healthcheck; Herald processes probe their readiness endpoint', () => {
    for (const [name, s] of Object.entries(services)) expect(`${name}: ${healthTest(s) !== ''}`).toBe(`${name}: true`);
    const cfg = JSON.parse(read('config/default.json')) as { dispatchPort: number; worker: { httpPort: number } };
    expect(healthTest(services.dispatcher)).toContain(`http://127.0.0.1:${cfg.dispatchPort}/health/ready`);
    for (const name of WORKERS) {
      expect(envOf(services[name]).HERALD_WORKER_HTTP_PORT).toBeUndefined();
      expect(healthTest(services[name])).toMatch(/^CMD node -e /);
      expect(healthTest(services[name])).toContain(`http://127.0.0.1:${cfg.worker.httpPort}/health/ready`);
    }
    expect(healthTest(services.mailpit)).toMatch(/^CMD(-SHELL)? \/?mailpit readyz/);
    expect(dependsOn(services['email-worker']).mailpit?.condition).toBe('service_healthy');
  });

  it('publishes the API to all, and the RabbitMQ management UI and the mail catcher UI to this machine', () => {
    const published = (s: Service) => (s.ports ?? []).map((p) => (typeof p === 'string' ? p : `${p.published}:${p.target}`));
    expect(published(services.dispatcher)).toContain('8080:8080');
    expect(published(services.rabbitmq)).toEqual(expect.arrayContaining(['127.0.0.1:5672:5672', '127.0.0.1:15672:15672']));
    expect(published(services.mailpit)).toContain('127.0.0.1:8025:8025');
  });

  it('starts Herald only after mongo and rabbitmq are healthy, and workers after the dispatcher', () => {
    for (const name of HERALD) {
      expect(dependsOn(services[name]).mongo?.condition).toBe('service_healthy');
      expect(dependsOn(services[name]).rabbitmq?.condition).toBe('service_healthy');
    }
    for (const name of WORKERS) expect(dependsOn(services[name]).dispatcher?.condition).toBe('service_healthy');
    for (const [name, s] of Object.entries(services)) {
      for (const dep of Object.keys(dependsOn(s))) expect(`${name} -> ${dep}: ${dep in services}`).toBe(`${name} -> ${dep}: true`);
    }
  });

  it('runs each process role through the image entrypoint', () => {
    expect(command(services.dispatcher)).toEqual(['server']);
    expect(command(services['sms-worker'])).toEqual(['worker', 'sms']);
    expect(command(services['email-worker'])).toEqual(['worker', 'email']);
    expect(command(services['sheets-worker'])).toEqual(['worker', 'sheets']);
  });

  it('lets workers scale with --scale: no container_name, no host ports', () => {
    for (const name of WORKERS) {
      expect(services[name].container_name).toBeUndefined();
      expect(services[name].ports ?? []).toEqual([]);
    }
  });

  it('sets only environment variables Herald reads', () => {
    const allowed = new Set([
      ...ENV_KEYS.map((k) => k.env),
      // Any of them may come from a file instead (Docker secrets).
      ...envNames().map((n) => `${n}_FILE`),
      'TWILIO_ACCOUNT_SID',
      'TWILIO_AUTH_TOKEN',
      'TWILIO_FROM',
      'TWILIO_API_URL',
      'SMTP_URL',
      'SMTP_FROM',
      'NODE_ENV',
    ]);
    for (const name of HERALD) {
      const unknown = Object.keys(envOf(services[name])).filter((k) => !allowed.has(k));
      expect(`${name}: ${unknown.join(', ')}`).toBe(`${name}: `);
    }
  });

  it('gives the dispatcher its admin key from a secret file, never from a value in the file', () => {
    const dispatcher = services.dispatcher;
    expect(dispatcher.secrets).toEqual(['herald_admin_key']);
    expect(compose.secrets?.herald_admin_key?.file).toBe('./secrets/herald_admin_key');
    expect(envOf(dispatcher).HERALD_ADMIN_KEY_FILE).toBe('/run/secrets/herald_admin_key');
    for (const name of HERALD) expect(envOf(services[name])).not.toHaveProperty('HERALD_ADMIN_KEY');
  });

  it('points Herald at the compose services, with values the config accepts', () => {
    for (const name of HERALD) {
      const env = envOf(services[name]);
      const mongo = new URL(withDefaults(env.MONGODB_URI));
      const amqp = new URL(withDefaults(env.AMQP_URL));
      expect([mongo.protocol, mongo.hostname, mongo.pathname]).toEqual(['mongodb:', 'mongo', '/herald']);
      expect([amqp.protocol, amqp.hostname, amqp.port]).toEqual(['amqp:', 'rabbitmq', '5672']);
      expect(['error', 'warn', 'info', 'debug']).toContain(withDefaults(env.LOG_LEVEL));
      expect(env.HERALD_DATA_DIR).toBe('/data');
      // Without Twilio credentials SMS go to the outbox in HERALD_DATA_DIR, which must be a volume.
      expect(withDefaults(env.TWILIO_ACCOUNT_SID ?? '')).toBe('');
      const mounts = (services[name].volumes ?? []).map((v) => (typeof v === 'string' ? v : `${v.source}:`));
      const dataVolume = mounts.find((m) => m.split(':')[1] === '/data')?.split(':')[0];
      expect(dataVolume && compose.volumes && dataVolume in compose.volumes).toBe(true);
    }
    // What each process would load: compose's defaults resolved, validated by the real config.
    const emailConfig = loadConfig(Object.fromEntries(Object.entries(envOf(services['email-worker'])).map(([k, v]) => [k, withDefaults(v)])));
    expect(emailConfig.providers.sms).toEqual([]);
    expect(emailConfig.providers.email.map((p) => [p.type, p.options.url])).toEqual([['smtp', 'smtp://mailpit:1025']]);
    const smtp = new URL(withDefaults(envOf(services['email-worker']).SMTP_URL));
    expect([smtp.protocol, smtp.hostname, smtp.port]).toEqual(['smtp:', 'mailpit', '1025']);
    expect(withDefaults(envOf(services['email-worker']).SMTP_FROM)).toMatch(/<[^@>]+@[^>]+>/);
  });
});

interface Instruction {
  op: string;
  args: string;
}

function dockerfileInstructions(text: string): Instruction[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  return joined
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

/** RUN lines of a stage and of the stages it is built FROM, as the build would run them. */
function stageRuns(steps: Instruction[], stage: string): string[] {
  const start = steps.findIndex((s) => s.op === 'FROM' && new RegExp(`\\sAS\\s+${stage}$`, 'i').test(s.args));
  if (start < 0) return [];
  const end = steps.findIndex((s, i) => i > start && s.op === 'FROM');
  const own = steps.slice(start + 1, end < 0 ? undefined : end).filter((s) => s.op === 'RUN').map((s) => s.args);
  return [...stageRuns(steps, steps[start].args.split(/\s+/)[0]), ...own];
}

/** Words of an instruction in shell form or exec (JSON) form. */
const words = (args: string): string[] => (args.startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/));

describe('Dockerfile', () => {
  const steps = dockerfileInstructions(read('Dockerfile'));
  const lastStage = steps.slice(steps.map((s) => s.op).lastIndexOf('FROM'));

  it('is multi-stage on node 20 and runs as a non-root user', () => {
    const froms = steps.filter((s) => s.op === 'FROM');
    expect(froms.length).toBeGreaterThanOrEqual(3);
    // An exact Node release, not a moving tag.
    expect(froms[0].args).toMatch(/^node:20\.\d+\.\d+-bookworm-slim\b/);
    const user = lastStage.filter((s) => s.op === 'USER').pop()?.args;
    expect(user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
  });

  it('installs production dependencies only and builds the TypeScript', () => {
    const runs = steps.filter((s) => s.op === 'RUN').map((s) => s.args);
    expect(runs.some((r) => /npm run build\b/.test(r))).toBe(true);
    expect(lastStage.some((s) => s.op === 'ENV' && /NODE_ENV=production/.test(s.args))).toBe(true);
    // The final stage takes node_modules from a stage whose install left out dev dependencies.
    const copy = lastStage.find((s) => s.op === 'COPY' && /node_modules/.test(s.args));
    const from = copy?.args.match(/--from=(\S+)/)?.[1];
    expect(from).toBeDefined();
    expect(stageRuns(steps, from!).some((r) => /npm ci\b.*--omit=dev/.test(r))).toBe(true);
  });

  it('starts bin/herald.js, whose default command is a real one', () => {
    const entry = words(lastStage.find((s) => s.op === 'ENTRYPOINT')!.args);
    expect(entry).toEqual(['node', 'bin/herald.js']);
    expect(fs.existsSync(path.join(ROOT, 'bin/herald.js'))).toBe(true);
    expect(['all', 'server']).toContain(words(lastStage.find((s) => s.op === 'CMD')!.args)[0]);
    expect(lastStage.find((s) => s.op === 'EXPOSE')?.args).toBe('8080');
  });

  it('has a HEALTHCHECK probing readiness on the API port and on the worker port', () => {
    const check = lastStage.find((s) => s.op === 'HEALTHCHECK')?.args ?? '';
    const cfg = JSON.parse(read('config/default.json')) as { dispatchPort: number; worker: { httpPort: number } };
    expect(check).toMatch(/CMD node -e /);
    expect(check).toContain('/health/ready');
    expect(check).toContain(`${cfg.dispatchPort}, ${cfg.worker.httpPort}`);
  });

  it('sets only environment variables Herald reads', () => {
    const allowed = new Set([...ENV_KEYS.map((k) => k.env), 'NODE_ENV']);
    const names = lastStage.filter((s) => s.op === 'ENV').flatMap((s) => [...s.args.matchAll(/([A-Z_][A-Z0-9_]*)=/g)].map((m) => m[1]));
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n) => !allowed.has(n))).toEqual([]);
  });

  it('copies from the build context only paths that exist and .dockerignore lets through', () => {
    const ignore = read('.dockerignore')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
      .map((p) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`));
    const sources = steps
      .filter((s) => s.op === 'COPY' && !/--from=/.test(s.args))
      .flatMap((s) => {
        const w = words(s.args).filter((x) => !x.startsWith('--'));
        return w.slice(0, -1);
      });
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'src', 'config', 'bin']));
    for (const src of sources) {
      expect(`${src}: ${fs.existsSync(path.join(ROOT, src))}`).toBe(`${src}: true`);
      const prefixes = src.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
      const ignoredBy = ignore.filter((re) => prefixes.some((p) => re.test(p)));
      expect(`${src}: ${ignoredBy.join(' ')}`).toBe(`${src}: `);
    }
  });
});
