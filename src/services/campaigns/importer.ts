// POST /v1/imports: the file is spooled to a temporary file (hashed on the way), checked row by
// row (pass 1: the report, and the planned messages spooled as JSON lines), then, unless it is a
// dry run or a rejected file, the planned messages are written in batches (pass 2). Memory stays
// bounded whatever the size: rows are never all held (only a set of numbers per campaign).
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { once } from 'node:events';
import readline from 'node:readline';
import type { HeraldConfig } from '../../config';
import { contactIdOf, emptyReport, MAX_REJECTED_LISTED, type Campaign, type ImportRecord, type ImportReport } from '../../domain/campaigns';
import { toCredits } from '../../domain/credits';
import { ConflictError, UnprocessableError } from '../../domain/errors';
import type { Store } from '../../store/store';
import { pricesOf } from '../credits/pricing';
import { CsvHeaderError, csvRows } from './csv-rows';
import { planRow, type PlanContext, type RowPlan } from './import-plan';
import { resolveProviderName, type ProviderRef } from './providers';

export interface ImporterDeps {
  store: Store;
  config: Pick<HeraldConfig, 'phone' | 'sms' | 'campaigns' | 'validityHours' | 'credits'>;
  providers: readonly ProviderRef[];
  now?: () => Date;
  /** Folder for the spooled file (default: the OS temporary folder). */
  tmpDir?: string;
}

export interface ImportOptions {
  dryRun: boolean;
  onError: 'reject' | 'skip';
  provider?: string;
  idempotencyKey?: string;
  /** Called every few thousand rows (progress for the CLI's live counter, logs). */
  onProgress?: (rows: number) => void;
}

const WRITE_BATCH = 1000;
const MAX_WARNINGS = 200;

/** An import whose key was seen: the same id, so a concurrent duplicate is a conflict on insert. */
const importIdOf = (ws: string, key: string, dryRun: boolean) => `imp-${createHash('sha256').update(`${ws}\u0000${key}\u0000${dryRun}`).digest('hex').slice(0, 32)}`;

/**
 * The numbers seen in one campaign, in little memory: an E.164 number's digits split into two
 * small integers (V8 keeps those unboxed), so a million numbers take tens of MB, not hundreds.
 */
class NumberSet {
  private readonly buckets = new Map<number, Set<number>>();
  size = 0;
  /** Adds the number; false when it was there already. */
  add(e164: string): boolean {
    const digits = e164.slice(1);
    const high = Number(digits.slice(0, -8) || '0') * 10 + digits.length; // the length keeps 0-prefixed lows apart
    const low = Number(digits.slice(-8));
    let b = this.buckets.get(high);
    if (!b) this.buckets.set(high, (b = new Set()));
    if (b.has(low)) return false;
    b.add(low);
    this.size++;
    return true;
  }
}

interface CampaignPlan {
  name: string;
  phones: NumberSet;
  sendAt: Date;
  message: string;
  mixedTimes: boolean;
  existing: Campaign | null;
}

export function createImporter(deps: ImporterDeps) {
  const { store, config } = deps;
  const now = deps.now ?? (() => new Date());

  async function spool(input: Readable): Promise<{ file: string; hash: string }> {
    const file = path.join(deps.tmpDir ?? os.tmpdir(), `herald-import-${randomUUID()}.csv`);
    const hash = createHash('sha256');
    input.on('data', (chunk: Buffer) => hash.update(chunk));
    await pipeline(input, fs.createWriteStream(file)).catch(async (e: unknown) => {
      await fs.promises.rm(file, { force: true });
      throw e;
    });
    return { file, hash: hash.digest('hex') };
  }

  async function* plans(file: string, ctx: PlanContext): AsyncGenerator<RowPlan> {
    for await (const item of csvRows(fs.createReadStream(file))) {
      if ('error' in item) {
        yield { kind: 'rejected', line: item.line, ...(item.column ? { column: item.column } : {}), reason: item.error };
        continue;
      }
      const plan = planRow(item.line, item.fields, ctx);
      yield plan.kind === 'rejected' && plan.column && item.spelled[plan.column] ? { ...plan, column: item.spelled[plan.column] } : plan;
    }
  }

  /** Pass 1: every row checked; the report says what pass 2 would write. */
  async function check(ws: string, file: string, ctx: PlanContext, opts: ImportOptions, planned: fs.WriteStream) {
    const report = emptyReport();
    const out = async (line: string) => {
      if (!planned.write(line)) await once(planned, 'drain');
    };
    const campaigns = new Map<string, CampaignPlan>();
    const reject = (line: number, reason: string, column?: string) => {
      report.rejectedTotal++;
      if (report.rejected.length < MAX_REJECTED_LISTED) report.rejected.push({ line, ...(column ? { column } : {}), reason });
    };
    const warn = (w: string) => void (report.warnings.length < MAX_WARNINGS && report.warnings.push(w));
    for await (const p of plans(file, ctx)) {
      report.rowsRead++;
      if (report.rowsRead % 5000 === 0) opts.onProgress?.(report.rowsRead);
      if (p.kind === 'rejected') reject(p.line, p.reason, p.column);
      else if (p.kind === 'expired') {
        report.rowsExpired++;
        warn(`line ${p.line}: sending_time ${p.sendAt.toISOString()} is older than the validity (${config.validityHours} h): expired, not sent`);
      } else {
        let c = campaigns.get(p.campaign);
        if (!c) {
          const existing = await store.campaigns.getByName(ws, p.campaign);
          c = { name: p.campaign, phones: new NumberSet(), sendAt: p.sendAt, message: p.message, mixedTimes: false, existing };
          campaigns.set(p.campaign, c);
        }
        if (c.existing && !['draft', 'scheduled'].includes(c.existing.status)) {
          reject(p.line, `campaign '${p.campaign}' is ${c.existing.status}; rows can be added only while it is draft or scheduled`, 'campaign');
          continue;
        }
        if (p.sendAt.getTime() !== c.sendAt.getTime()) {
          c.mixedTimes = true;
          if (p.sendAt < c.sendAt) c.sendAt = p.sendAt;
        }
        report.rowsImported++;
        for (const m of p.messages) {
          if (!c.phones.add(m.phone)) report.duplicates++;
          else {
            report.messagesPlanned++;
            report.segments += m.segments;
            await out(JSON.stringify({ c: p.campaign, p: m.phone, t: m.text, ...(p.name ? { n: p.name } : {}) }) + '\n');
          }
        }
      }
    }
    opts.onProgress?.(report.rowsRead);
    planned.end();
    await once(planned, 'finish');
    for (const c of campaigns.values()) {
      if (c.phones.size === 0) continue;
      if (c.mixedTimes) warn(`campaign '${c.name}': rows have different sending times; it goes out at the earliest, ${c.sendAt.toISOString()}`);
      report.campaigns.push({ name: c.name, ...(c.existing ? { id: c.existing.id } : {}), recipients: c.phones.size, sendAt: c.sendAt, created: !c.existing });
      if (c.existing) report.campaignsReused++;
      else report.campaignsCreated++;
    }
    // Known exactly once written (pass 2); until then, at most one per planned message.
    report.contactsCreated = report.messagesPlanned;
    if (opts.dryRun && report.messagesPlanned) warn('dry run: contactsCreated is at most this many (a number already a contact, or in two campaigns, is created once)');
    report.credits = toCredits(report.segments * pricesOf(await store.credits.get(ws), config).smsSegment);
    return { report, campaigns };
  }

  /** Pass 2: campaigns (draft while filling), then the planned messages pass 1 kept, as contacts and recipients in batches; then scheduled. */
  async function write(ws: string, importId: string, plannedFile: string, plan: Awaited<ReturnType<typeof check>>, provider: string | undefined): Promise<ImportReport> {
    const { report } = plan;
    const ids = new Map<string, Campaign>();
    for (const c of plan.campaigns.values()) {
      if (c.phones.size === 0) continue;
      const existing = c.existing ?? (await store.campaigns.getByName(ws, c.name));
      ids.set(c.name, existing ?? (await store.campaigns.create({
        workspaceId: ws, id: randomUUID(), name: c.name, channel: 'sms', message: c.message, status: 'draft', sendAt: c.sendAt,
        validityHours: config.validityHours, recipients: 0, run: { messages: 0 }, importId, ...(provider ? { provider } : {}),
      })));
    }
    let contacts: Array<{ id: string; phone: string; name?: string }> = [];
    let recipients: Array<{ campaignId: string; contactId: string; to: string; text: string }> = [];
    let created = 0;
    const flush = async () => {
      created += await store.campaigns.addContacts(ws, contacts);
      await store.campaigns.addRecipients(recipients);
      contacts = [];
      recipients = [];
    };
    for await (const line of readline.createInterface({ input: fs.createReadStream(plannedFile), crlfDelay: Infinity })) {
      if (line === '') continue;
      const m = JSON.parse(line) as { c: string; p: string; t: string; n?: string };
      const contactId = contactIdOf(m.p);
      contacts.push({ id: contactId, phone: m.p, ...(m.n ? { name: m.n } : {}) });
      recipients.push({ campaignId: ids.get(m.c)!.id, contactId, to: m.p, text: m.t });
      if (recipients.length >= WRITE_BATCH) await flush();
    }
    await flush();
    report.contactsCreated = created;
    for (const [name, c] of ids) {
      const recipientsNow = await store.campaigns.countRecipients(c.id);
      await store.campaigns.update(c.id, { recipients: recipientsNow });
      if (c.status === 'draft' && c.importId === importId) await store.campaigns.transition(c.id, ['draft'], 'scheduled');
      const entry = report.campaigns.find((x) => x.name === name);
      if (entry) entry.id = c.id;
    }
    return report;
  }

  return {
    /** Runs an import; `replayed` when the Idempotency-Key named an import of the same file. */
    async run(ws: string, input: Readable, opts: ImportOptions): Promise<{ record: ImportRecord; replayed: boolean }> {
      const provider = opts.provider === undefined ? undefined : resolveProviderName(opts.provider, deps.providers);
      if (opts.provider !== undefined && !provider) {
        input.resume();
        throw new UnprocessableError([{ field: 'provider', reason: `no SMS provider '${opts.provider}' is configured (known: ${deps.providers.map((p) => p.id).join(', ') || 'none'})` }]);
      }
      const { file, hash } = await spool(input);
      const plannedFile = `${file}.planned`;
      try {
        const id = opts.idempotencyKey ? importIdOf(ws, opts.idempotencyKey, opts.dryRun) : `imp-${randomUUID()}`;
        const seen = opts.idempotencyKey ? await store.campaigns.getImport(id) : null;
        if (seen) {
          if (seen.bodyHash !== hash) throw new UnprocessableError([{ field: 'Idempotency-Key', reason: 'was used with another file' }]);
          if (seen.status === 'running') throw new ConflictError('an import with this Idempotency-Key is still running', [{ field: 'Idempotency-Key', reason: 'is in use' }]);
          if (seen.status !== 'failed') return { record: seen, replayed: true };
        }
        const at = now();
        const ctx: PlanContext = { config, now: at, defaultCampaign: `import ${at.toISOString().slice(0, 16).replace('T', ' ')}`, times: new Map() };
        let plan: Awaited<ReturnType<typeof check>>;
        const planned = fs.createWriteStream(plannedFile);
        try {
          plan = await check(ws, file, ctx, opts, planned);
        } catch (e) {
          planned.destroy();
          if (e instanceof CsvHeaderError) throw new UnprocessableError([{ field: 'header', reason: e.message }], 'the file cannot be imported');
          throw e;
        }
        // Another request with the same key (a client retrying) may have created the record since `seen` was read.
        const create = (rec: Parameters<typeof store.campaigns.createImport>[0]) => store.campaigns.createImport(rec).catch(async (e: unknown) => {
          if (!(e instanceof ConflictError) || !opts.idempotencyKey) throw e;
          const other = await store.campaigns.getImport(id);
          if (other && other.bodyHash === hash && other.status !== 'running' && other.status !== 'failed') return { replay: other };
          throw new ConflictError('an import with this Idempotency-Key is still running', [{ field: 'Idempotency-Key', reason: 'is in use' }]);
        });
        const refused = plan.report.rejectedTotal > 0 && opts.onError === 'reject';
        // A refused file imports nothing: its report says so (what the good rows would give is what a skip run reports).
        const r = plan.report;
        const report = refused
          ? { ...emptyReport(), rowsRead: r.rowsRead, rowsExpired: r.rowsExpired, rejected: r.rejected, rejectedTotal: r.rejectedTotal, warnings: r.warnings.filter((w) => !w.startsWith('dry run:')) }
          : r;
        const base = { workspaceId: ws, id, dryRun: opts.dryRun, onError: opts.onError, report, bodyHash: hash, ...(provider ? { provider } : {}), ...(opts.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {}) };
        const finalStatus = refused ? 'rejected' : 'completed';
        if (opts.dryRun || refused) {
          const record = seen ? await store.campaigns.updateImport(id, { ...base, status: finalStatus }) : await create({ ...base, status: finalStatus });
          if (record && 'replay' in record) return { record: record.replay, replayed: true };
          return { record: record!, replayed: false };
        }
        if (!seen) {
          const made = await create({ ...base, status: 'running' });
          if ('replay' in made) return { record: made.replay, replayed: true };
        }
        else await store.campaigns.updateImport(id, { status: 'running', error: undefined });
        try {
          const report = await write(ws, id, plannedFile, plan, provider);
          return { record: (await store.campaigns.updateImport(id, { status: 'completed', report }))!, replayed: false };
        } catch (e) {
          await store.campaigns.updateImport(id, { status: 'failed', error: (e as Error).message }).catch(() => undefined);
          throw e;
        }
      } finally {
        await fs.promises.rm(file, { force: true });
        await fs.promises.rm(plannedFile, { force: true });
      }
    },
    async get(ws: string, id: string): Promise<ImportRecord | null> {
      const r = await store.campaigns.getImport(id);
      return r && r.workspaceId === ws ? r : null;
    },
  };
}

export type Importer = ReturnType<typeof createImporter>;
