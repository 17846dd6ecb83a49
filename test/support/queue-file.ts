// The embedded queue's file as another process sees it (a read-only connection of its own).
import Database from 'better-sqlite3';

/** Every job still in the file (held or not): 0 once the acks are committed. */
export function jobsLeft(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM bus_jobs').get() as { n: number }).n;
  } finally {
    db.close();
  }
}
