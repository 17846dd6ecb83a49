// Shared by the http.*.test.ts files: an app on a fresh in-memory SQLite store, and a fake
// NotificationService that records what the HTTP layer hands it.
import type express from 'express';
import Transport from 'winston-transport';
import { ensureDefaultWorkspace } from '../../src/services/tenancy/workspaces';
import { createApp } from '../../src/http/app';
import { loadConfig, type HeraldConfig } from '../../src/config';
import { NotFoundError } from '../../src/domain/errors';
import type { Notification } from '../../src/domain/types';
import { createLogger, type Logger } from '../../src/log/logger';
import type { NotificationRequest, NotificationService, NotificationSummary } from '../../src/services/notification-service';
import { createSqliteStore, type SqliteStore } from '../../src/store/sqlite';

export class FakeNotifications implements NotificationService {
  readonly accepted: NotificationRequest[] = [];
  readonly byId = new Map<string, Notification>();
  /** Set to make accept() throw (e.g. an UnprocessableError the real service would raise). */
  failWith: Error | undefined;

  async accept(req: NotificationRequest): Promise<Notification> {
    if (this.failWith) throw this.failWith;
    this.accepted.push(req);
    const id = `n${this.accepted.length}`;
    const validUntil = req.endTime ?? new Date(req.startTime.getTime() + 48 * 3_600_000);
    const n: Notification = {
      id,
      workspaceId: req.workspaceId,
      programId: req.programId,
      eventTypeId: req.eventTypeId,
      startTime: req.startTime,
      endTime: req.endTime,
      validUntil,
      data: req.data,
      status: 'scheduled',
      source: req.source,
      idempotencyKey: req.idempotencyKey,
      warnings: req.reanchorPastWindow ? ['re-anchored'] : undefined,
      dispatch: { messages: 0 },
      createdAt: new Date(),
      updatedAt: new Date(),
    };
    this.byId.set(id, n);
    return n;
  }

  private must(id: string): Notification {
    const n = this.byId.get(id);
    if (!n) throw new NotFoundError('notification', id);
    return n;
  }

  async get(ws: string, id: string): Promise<NotificationSummary | null> {
    const n = this.byId.get(id);
    return n && n.workspaceId === ws ? { ...n, counts: { queued: 2, sent: 1 }, total: 3 } : null;
  }

  async list(_ws: string, filter: { programId?: string; status?: Notification['status'] }, q: { limit: number; offset: number }) {
    const all = [...this.byId.values()].filter((n) => (!filter.programId || n.programId === filter.programId) && (!filter.status || n.status === filter.status));
    return { items: all.slice(q.offset, q.offset + q.limit), total: all.length, ...q };
  }

  async messages(_ws: string, id: string, _filter: unknown, q: { limit: number; offset: number }) {
    this.must(id);
    return { items: [], total: 0, ...q };
  }

  async close(_ws: string, id: string, endTime: Date): Promise<Notification> {
    const n = { ...this.must(id), endTime, validUntil: endTime };
    this.byId.set(id, n);
    return n;
  }

  async cancel(_ws: string, id: string): Promise<NotificationSummary> {
    const n = { ...this.must(id), status: 'cancelled' as const };
    this.byId.set(id, n);
    return { ...n, counts: { cancelled: 3 }, total: 3 };
  }
}

export interface TestApp {
  app: express.Express;
  store: SqliteStore;
  notifications: FakeNotifications;
  config: HeraldConfig;
}

type ServiceFactory = (deps: { store: SqliteStore; config: HeraldConfig; logger: Logger }) => NotificationService;

/** An app on a fresh in-memory store; the fake service unless `service` builds a real one on that store. */
export async function makeApp(overrides: Record<string, unknown> = {}, service?: ServiceFactory): Promise<TestApp> {
  const store = createSqliteStore(':memory:');
  await store.connect();
  await ensureDefaultWorkspace(store); // as start-up does
  const config = loadConfig({}, overrides);
  const fake = new FakeNotifications();
  const logger = createLogger('http-test', { silent: true });
  const notifications = service ? service({ store, config, logger }) : fake;
  const app = createApp({ store, notifications, config, logger });
  return { app, store, notifications: fake, config };
}

/** The issues' fields of an error response, for compact assertions. */
export function fieldsOf(body: { error?: { issues?: Array<{ field: string }> } }): string[] {
  return (body.error?.issues ?? []).map((i) => i.field);
}

/** A log transport that keeps every line the app writes, to check what an operator would see. */
export class LogCapture extends Transport {
  lines: Array<Record<string, unknown>> = [];
  override log(info: Record<string, unknown>, next: () => void): void {
    this.lines.push(info);
    next();
  }
}
