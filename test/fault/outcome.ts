// Reads the outcome of a fault test: every message's final status from the store, and what the
// fake providers received per message id. lost = a sendable message not sent or never received;
// duplicated = received more than once without being marked possibleDuplicate.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Message, MessageStatus } from '../../src/domain/types';
import type { Cluster } from './cluster';

const FINAL: MessageStatus[] = ['sent', 'delivered', 'undelivered', 'failed', 'expired', 'cancelled', 'rejected'];
const DONE_NOTIFICATION = ['dispatched', 'cancelled', 'expired'];

export interface Outcome {
  messages: number;
  byStatus: Partial<Record<MessageStatus, number>>;
  /** Messages that should reach a provider (not rejected/cancelled/expired before sending). */
  sendable: number;
  /** Handed to a provider and recorded `sent` (or delivered). */
  delivered: number;
  lost: number;
  /** Received more than once and NOT marked possibleDuplicate: must be 0. */
  duplicated: number;
  /** Messages marked possibleDuplicate. */
  markedPossibleDuplicate: number;
  /** Of those, how many the provider really received more than once. */
  receivedTwiceMarked: number;
  /** Receipts at the fakes for this test's notifications that match no message. */
  strayReceipts: number;
  notFinal: number;
  lostIds: string[];
  duplicatedIds: string[];
}

export async function messagesOf(c: Cluster, notificationIds: string[]): Promise<Message[]> {
  const out: Message[] = [];
  for (const id of notificationIds) {
    for (let offset = 0; ; offset += 1000) {
      const page = await c.store.messages.list(id, {}, { limit: 1000, offset });
      out.push(...page.items);
      if (page.items.length < 1000) break;
    }
  }
  return out;
}

/** The first few messages not final, as stored: what a failed convergence left behind. */
async function stuck(c: Cluster, notificationIds: string[]): Promise<string> {
  const lines: string[] = [];
  for (const id of notificationIds) {
    const open = await c.store.messages.findByNotification(id, ['accepted', 'scheduled', 'queued', 'sending'], 5);
    for (const m of open) {
      const history = m.statusHistory.map((h) => `${h.status}@${h.at.toISOString().slice(11, 23)}${h.reason ? ` (${h.reason})` : ''}`).join(' > ');
      lines.push(`  ${m.id}: ${m.status}, attempts ${m.attempts}, lease ${m.leaseUntil?.toISOString().slice(11, 23) ?? '-'}: ${history}`);
    }
  }
  return lines.join('\n');
}

/** Waits until every notification finished fan-out and every message is final; resolves ms waited. */
export async function waitAllFinal(c: Cluster, notificationIds: string[], expected: number, timeoutMs = 90_000): Promise<number> {
  const started = Date.now();
  let last = '';
  for (;;) {
    let total = 0;
    let pending = 0;
    let open = 0;
    for (const id of notificationIds) {
      const n = await c.store.notifications.get(id);
      if (!n || !DONE_NOTIFICATION.includes(n.status)) open++;
      const counts = await c.store.messages.countByStatus(id);
      for (const [status, k] of Object.entries(counts)) {
        total += k ?? 0;
        if (!FINAL.includes(status as MessageStatus)) pending += k ?? 0;
      }
    }
    last = `${open} notification(s) not dispatched, ${total}/${expected} messages, ${pending} not final`;
    if (open === 0 && pending === 0 && total >= expected) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`not converged after ${timeoutMs} ms: ${last}\n${await stuck(c, notificationIds)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** How many times each message id reached a provider, for messages of these notifications. */
function receipts(c: Cluster, msgs: Message[]): { count: Map<string, number>; stray: number } {
  const count = new Map<string, number>();
  const bySms = new Map<string, string>();
  const ids = new Set(msgs.map((m) => m.id));
  const tags = new Set<string>();
  for (const m of msgs) {
    if (m.channel === 'sms') {
      bySms.set(`${m.to}|${m.content.text}`, m.id);
      tags.add(m.content.text.split(' ')[0]);
    }
  }
  let stray = 0;
  for (const r of [...c.twilio.received, ...(c.twilio2?.received ?? [])]) {
    const id = bySms.get(`${r.to}|${r.body}`);
    if (id) count.set(id, (count.get(id) ?? 0) + 1);
    else if (tags.has(r.body.split(' ')[0])) stray++;
  }
  const prefixes = new Set(msgs.map((m) => m.notificationId));
  for (const mail of c.smtp.received) {
    const id = mail.headers['x-herald-message-id'];
    if (id && ids.has(id)) count.set(id, (count.get(id) ?? 0) + 1);
    else if (id && prefixes.has(id.split(':')[0])) stray++;
  }
  return { count, stray };
}

export async function outcome(c: Cluster, notificationIds: string[]): Promise<Outcome> {
  const msgs = await messagesOf(c, notificationIds);
  const { count, stray } = receipts(c, msgs);
  const byStatus: Outcome['byStatus'] = {};
  const o: Outcome = {
    messages: msgs.length, byStatus, sendable: 0, delivered: 0, lost: 0, duplicated: 0,
    markedPossibleDuplicate: 0, receivedTwiceMarked: 0, strayReceipts: stray, notFinal: 0, lostIds: [], duplicatedIds: [],
  };
  for (const m of msgs) {
    byStatus[m.status] = (byStatus[m.status] ?? 0) + 1;
    if (!FINAL.includes(m.status)) o.notFinal++;
    const got = count.get(m.id) ?? 0;
    if (m.possibleDuplicate) o.markedPossibleDuplicate++;
    if (got > 1 && m.possibleDuplicate) o.receivedTwiceMarked++;
    if (got > 1 && !m.possibleDuplicate) {
      o.duplicated++;
      o.duplicatedIds.push(m.id);
    }
    if (m.status === 'rejected') continue;
    o.sendable++;
    const ok = (m.status === 'sent' || m.status === 'delivered') && got >= 1;
    if (ok) o.delivered++;
    else if (m.status !== 'failed') {
      o.lost++;
      o.lostIds.push(m.id);
    }
  }
  return o;
}

export interface ResultRow {
  fault: string;
  sent: number;
  delivered: number;
  failed: number;
  lost: number;
  duplicated: number;
  possibleDuplicates: number;
  /** Of the possible duplicates, how many the fake provider really received twice. */
  receivedTwice: number;
  recoverMs: number;
  note?: string;
}

export const RESULTS_DIR = path.join(os.tmpdir(), 'herald-fault-results');

/** Appends this test's figures for docs/reliability.md (rendered by test/fault/render-results.ts). */
export function record(order: number, row: ResultRow): void {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  fs.writeFileSync(path.join(RESULTS_DIR, `${String(order).padStart(2, '0')}.json`), JSON.stringify({ ...row, at: new Date().toISOString() }));
}

export function row(fault: string, o: Outcome, recoverMs: number, note?: string): ResultRow {
  return {
    fault,
    sent: o.sendable,
    delivered: o.delivered,
    failed: o.byStatus.failed ?? 0,
    lost: o.lost,
    duplicated: o.duplicated,
    possibleDuplicates: o.markedPossibleDuplicate,
    receivedTwice: o.receivedTwiceMarked,
    recoverMs,
    note,
  };
}

/** The assertions every fault test makes. */
export function expectNothingLostOrDoubled(o: Outcome): void {
  expect({ notFinal: o.notFinal, lost: o.lostIds.slice(0, 5), duplicated: o.duplicatedIds.slice(0, 5), stray: o.strayReceipts }).toEqual({
    notFinal: 0,
    lost: [],
    duplicated: [],
    stray: 0,
  });
}
