// The Google Sheets exporter. From the `sheets` queue, each event is staged once per target of
// its program (a durable row, unique per target and event), then acked. A run per target (one
// at a time across processes: a lease in the store) appends the staged rows in batches and
// commits (marks them exported, moves the position) only after Google confirms the append.
// Before each append the target is marked in flight; a run that finds it still marked (a crash,
// a timeout: the append may have landed) first reads the id column back from the last confirmed
// row on and skips what is already there. So nothing is lost and nothing is written twice.
// 429/5xx/timeouts are retried with backoff; 403/404/a refused key pause that target only.
import { randomBytes } from 'node:crypto';
import type { Delivery, HandlerResult } from '../../bus/bus';
import type { HeraldConfig } from '../../config';
import { exponentialJitter } from '../../domain/retry';
import { BASE_COLUMNS, columnLetter, growHeader, lastRowOf, OUTCOME_COLUMNS, quoteSheet, rowValues, type MessageOutcome, type SheetExport, type StagedRow } from '../../domain/sheets';
import type { Logger } from '../../log/logger';
import type { Store } from '../../store/store';
import { boundedStore } from '../../store/call-timeout';
import { SheetsError, toSheetsError, type SheetsApi } from './google-sheets';
import { createApiCache } from './api-cache';
import { parseSheetEvent, parseSheetOutcome, type SheetEvent } from './feed';
import { eventItem, outcomeItem, stageRows, type StageItem } from './stage';

export interface SheetsExporterDeps {
  store: Store;
  /** store.callTimeoutMs: each store call of a run gives up after it (a hung call ended the target's runs here for good). */
  config: Pick<HeraldConfig, 'sheets'> & { store?: { callTimeoutMs?: number } };
  logger: Logger;
  /** Lease owner name; default a random one per exporter. */
  owner?: string;
  /** Tests: the API of a target (default googleapis with the target's key). */
  apiFor?: (t: SheetExport, keyFile: string) => SheetsApi;
  /** Tests: runs after Google confirmed an append and before the commit (a throw here is a crash between the two). */
  afterAppend?: (t: SheetExport) => Promise<void>;
}

/** Exported rows are remembered this long (a bus redelivery later than that is not expected), then pruned hourly. */
const KEEP_EXPORTED_MS = 7 * 24 * 3_600_000;
const PRUNE_EVERY_MS = 3_600_000;

export function createSheetsExporter(deps: SheetsExporterDeps) {
  const { logger } = deps;
  // Each call, not a run: a slow run making progress goes on; a late write is one a crash could leave (the in-flight mark reads back).
  const store = boundedStore(deps.store, deps.config.store?.callTimeoutMs ?? 0);
  const cfg = deps.config.sheets;
  const owner = deps.owner ?? `sheets-${randomBytes(6).toString('hex')}`;
  const backoff = exponentialJitter({ baseMs: cfg.retryBaseMs, maxMs: Math.max(cfg.retryBaseMs, cfg.retryMaxMs) });
  const apiOf = createApiCache(cfg, deps.apiFor);
  const running = new Map<string, Promise<void>>();
  const again = new Set<string>();
  const lookedAgain = new Set<string>();
  /** Targets whose last run gave up on transient failures: not swept again before this time. */
  const notBefore = new Map<string, number>();
  const sleepers = new Set<() => void>();
  let stopped = false;
  let sweepTimer: NodeJS.Timeout | undefined;
  let calls = 0;

  // Stopped (a run whose call was in flight when stop() woke the sleepers): no wait, the loop ends.
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopped) return resolve();
      const done = () => (clearTimeout(t), sleepers.delete(done), resolve());
      const t = setTimeout(done, ms);
      sleepers.add(done);
    });

  /** Counts each Google call for the bench and the logs. */
  async function counted<T>(fn: () => Promise<T>): Promise<T> {
    calls++;
    return fn();
  }

  /** The id column from the last confirmed row on: rows an unconfirmed append did write are marked exported, not sent again. */
  async function reconcile(t: SheetExport, api: SheetsApi): Promise<SheetExport> {
    const from = t.nextRow ?? 2;
    const col = columnLetter(Math.max(0, t.header.indexOf('id')));
    const values = await counted(() => api.get(t.spreadsheetId, `${quoteSheet(t.sheetName)}!${col}${from}:${col}`));
    const ids = values.map((r) => String(r[0] ?? '')).filter((id) => id !== '');
    const found = await store.sheetExports.markExported(t.id, ids, new Date());
    logger.info('sheets: read back after an unconfirmed append', { exportId: t.id, rowsInSheet: ids.length, alreadyWritten: found });
    const last = ids[ids.length - 1];
    return (await store.sheetExports.update(t.id, { inflight: false, nextRow: from + values.length, ...(found && last ? { lastRowId: last } : {}) }, found))!;
  }

  /** The header row as the sheet has it (read once per run), grown with the batch's new fields; written back only when it changed. */
  async function header(t: SheetExport, api: SheetsApi, batch: StagedRow[], readSheet: boolean): Promise<SheetExport> {
    let current = t.header;
    if (readSheet) {
      const row = (await counted(() => api.get(t.spreadsheetId, `${quoteSheet(t.sheetName)}!1:1`)))[0] ?? [];
      const names = row.map((c) => String(c));
      if (names.length) current = names;
    }
    const grown = growHeader(current, batch.map((r) => r.record), t.kind === 'outcomes' ? OUTCOME_COLUMNS : BASE_COLUMNS);
    const sheetHas = readSheet ? current : t.header;
    if (grown.length !== sheetHas.length || grown.some((h, i) => h !== sheetHas[i])) {
      await counted(() => api.update(t.spreadsheetId, `${quoteSheet(t.sheetName)}!A1`, [grown]));
      logger.info('sheets: header row updated', { exportId: t.id, columns: grown.length, added: grown.filter((h) => !current.includes(h)) });
    }
    if (grown.length === t.header.length && grown.every((h, i) => h === t.header[i])) return t;
    return (await store.sheetExports.update(t.id, { header: grown }))!;
  }

  async function pause(t: SheetExport, e: SheetsError): Promise<void> {
    await store.sheetExports.update(t.id, { status: 'paused', error: { code: e.code, message: e.message, at: new Date() } });
    logger.warn('sheets: export paused', { exportId: t.id, programId: t.programId, spreadsheetId: t.spreadsheetId, code: e.code, error: e.message });
  }

  /** Targets with a run in this exporter: the lease is per exporter, so a second run here must not start. */
  const draining = new Set<string>();

  /** One target's run: batches until nothing is waiting, or a pause, or too many transient failures in a row. */
  async function drain(id: string): Promise<'done' | 'busy' | 'paused' | 'later' | 'gone'> {
    if (draining.has(id)) return 'busy';
    draining.add(id);
    try {
      return await drainHeld(id);
    } finally {
      draining.delete(id);
    }
  }

  async function drainHeld(id: string): Promise<'done' | 'busy' | 'paused' | 'later' | 'gone'> {
    let t = await store.sheetExports.claim(id, owner, new Date(Date.now() + cfg.leaseMs), new Date());
    if (!t) return (await store.sheetExports.get(id)) ? 'busy' : 'gone';
    try {
      if (t.status !== 'active') return 'paused';
      let api: SheetsApi;
      try {
        api = apiOf(t);
      } catch (e) {
        await pause(t, toSheetsError(e));
        return 'paused';
      }
      let headerRead = false;
      let failures = 0;
      while (!stopped) {
        // Renewed each round; lost (expired during a long wait, the target deleted): another run has it.
        const held = await store.sheetExports.claim(id, owner, new Date(Date.now() + cfg.leaseMs), new Date());
        if (!held) return 'busy';
        t = held;
        if (t.status !== 'active') return 'paused';
        try {
          if (t.inflight) t = await reconcile(t, api);
          const batch = await store.sheetExports.pending(id, cfg.batchRows);
          if (batch.length === 0) return 'done';
          t = await header(t, api, batch, !headerRead);
          headerRead = true;
          // Renewed right before the append, so the lease outlives it (leaseMs > timeoutMs): no other run appends these rows meanwhile.
          if (!(await store.sheetExports.claim(id, owner, new Date(Date.now() + cfg.leaseMs), new Date()))) return 'busy';
          const marked = (await store.sheetExports.update(id, { inflight: true }))!;
          t = marked;
          const values = batch.map((r) => rowValues(marked.header, r.record));
          const res = await counted(() => api.append(marked.spreadsheetId, `${quoteSheet(marked.sheetName)}!A1`, values));
          await deps.afterAppend?.(marked);
          const done = await store.sheetExports.markExported(id, batch.map((r) => r.rowId), new Date());
          const last = lastRowOf(res.updatedRange);
          t = (await store.sheetExports.update(
            id,
            {
              inflight: false, lastRowId: batch[batch.length - 1].rowId, lastExportedAt: new Date(),
              ...(last !== undefined ? { nextRow: last + 1 } : {}), ...(marked.error ? { error: undefined } : {}),
            },
            done,
          ))!;
          failures = 0;
        } catch (e) {
          // The store failed, or the process is going down: give up this run; what is staged stays.
          if (!(e instanceof SheetsError)) throw e;
          const se = e;
          if (se.permanent) {
            await pause(t, se);
            return 'paused';
          }
          failures++;
          if (failures >= cfg.maxAttempts) {
            logger.warn('sheets: Google keeps failing; trying again later', { exportId: id, attempts: failures, error: se.message });
            // Shown on the export (still active) until an append goes through.
            await store.sheetExports.update(id, { error: { code: se.code, message: se.message, at: new Date() } });
            return 'later';
          }
          const wait = Math.min(Math.max(se.retryAfterMs ?? 0, backoff(failures)), cfg.leaseMs / 2);
          logger.info('sheets: Google call failed; retrying', { exportId: id, attempt: failures, waitMs: wait, error: se.message });
          // The append may have landed: the target is still marked in flight, so the next round reads back first.
          await sleep(wait);
        }
      }
      return 'later';
    } finally {
      await store.sheetExports.release(id, owner).catch(() => undefined);
    }
  }

  /** Starts a run for the target unless one is going in this process (then one more follows it). */
  function kick(id: string): void {
    if (stopped) return;
    if (running.has(id)) {
      again.add(id);
      return;
    }
    const run = drain(id)
      .then((r) => {
        if (r === 'later') notBefore.set(id, Date.now() + cfg.retryMaxMs);
        else notBefore.delete(id);
        // Another process holds it: look again once, soon, in case it finished just before these rows were staged (the sweep does the rest).
        if (r === 'busy' && !lookedAgain.has(id)) {
          lookedAgain.add(id);
          setTimeout(() => kick(id), Math.min(1000, cfg.sweepMs)).unref();
        } else lookedAgain.delete(id);
      })
      .catch((e: unknown) => {
        logger.warn('sheets: export run failed; the sweep tries again', { exportId: id, error: (e as Error).message });
      })
      .finally(() => {
        running.delete(id);
        if (again.delete(id)) kick(id);
      });
    running.set(id, run);
  }

  const stageItems = (items: StageItem[]) => stageRows(store, items);
  const stage = (events: SheetEvent[]) => stageItems(events.map(eventItem));

  /** Deliveries of one turn share one staging write. */
  let pendingStage: Array<{ e: StageItem; resolve: () => void; reject: (e: unknown) => void }> = [];
  function stageSoon(e: StageItem): Promise<void> {
    return new Promise((resolve, reject) => {
      pendingStage.push({ e, resolve, reject });
      if (pendingStage.length > 1) return;
      setImmediate(() => {
        const batch = pendingStage;
        pendingStage = [];
        stageItems(batch.map((b) => b.e)).then(
          (targets) => {
            batch.forEach((b) => b.resolve());
            targets.forEach(kick);
          },
          (err: unknown) => batch.forEach((b) => b.reject(err)),
        );
      });
    });
  }

  let lastPrune = 0;
  async function sweep(): Promise<void> {
    const now = Date.now();
    if (now - lastPrune > PRUNE_EVERY_MS) {
      lastPrune = now;
      const gone = await store.sheetExports.pruneExported(new Date(now - KEEP_EXPORTED_MS));
      if (gone) logger.info('sheets: forgot rows exported long ago', { rows: gone });
    }
    for (const t of await store.sheetExports.list({ status: 'active' })) {
      if ((notBefore.get(t.id) ?? 0) <= now) kick(t.id);
    }
  }

  return {
    owner,
    /** The `sheets` queue's handler: stage, then ack (a malformed body is dead-lettered). */
    async handle(d: Delivery): Promise<HandlerResult> {
      const e = parseSheetEvent(d.body);
      const o = e ? undefined : parseSheetOutcome(d.body);
      if (!e && !o) return { action: 'dead', reason: 'body is neither {event: {id, workspaceId, programId, eventTypeId, createdAt, data}} nor {outcome: {...}}' };
      try {
        await stageSoon(e ? eventItem(e) : outcomeItem(o!));
        return { action: 'ack' };
      } catch (err) {
        return { action: 'retry', delayMs: 1000, reason: `staging failed: ${(err as Error).message}` };
      }
    },
    stage,
    stageOutcomes: (outcomes: MessageOutcome[]) => stageItems(outcomes.map(outcomeItem)),
    drain,
    kick,
    sweep,
    /** Waits for the runs going now (tests, the bench). */
    async idle(): Promise<void> {
      while (running.size) await Promise.all([...running.values()]);
    },
    calls: () => calls,
    start(): void {
      stopped = false;
      const loop = () => {
        sweepTimer = setTimeout(() => void sweep().catch((e: unknown) => logger.warn('sheets: sweep failed', { error: (e as Error).message })).finally(() => !stopped && loop()), cfg.sweepMs);
      };
      void sweep().catch(() => undefined);
      loop();
    },
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(sweepTimer);
      sleepers.forEach((wake) => wake());
      await Promise.all([...running.values()]);
    },
  };
}

export type SheetsExporter = ReturnType<typeof createSheetsExporter>;
