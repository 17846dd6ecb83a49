// What this process holds open of a SQLite file: a connection left behind shows here.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/** Descriptors of this process open on the file or its -wal / -shm (Linux: /proc/self/fd). */
export function openDescriptors(file: string): number {
  const target = path.resolve(file);
  return fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return [target, `${target}-wal`, `${target}-shm`].includes(fs.readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      return false; // the descriptor readdir itself used, closed since
    }
  }).length;
}

/** SQLite takes a database out of WAL mode only when no other connection has it open: the mode it ends in. */
export function leaveWal(file: string): string {
  const db = new Database(file, { timeout: 200 });
  try {
    return String(db.pragma('journal_mode = DELETE', { simple: true }));
  } catch (e) {
    return (e as Error).message;
  } finally {
    db.close();
  }
}

/** The code and message a rejected start-up step gives its user. */
export async function failure(p: Promise<unknown>): Promise<[unknown, string] | 'resolved'> {
  return p.then(
    () => 'resolved' as const,
    (e: Error & { code?: unknown }) => [e.code, e.message],
  );
}
