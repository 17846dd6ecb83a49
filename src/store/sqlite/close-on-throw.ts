// Setting up a fresh connection (pragmas, migrations, statements) can throw: a busy file, another
// program's file, one that is not a database. Start-up retries opening (connectWithRetry), so each
// failed set-up must close its connection, or the process piles up descriptors and WAL locks.
import type Database from 'better-sqlite3';

/** `setUp`'s result; if it throws, `db` is closed and the original error rethrown unchanged. */
export function closeOnThrow<T>(db: Database.Database, setUp: () => T): T {
  try {
    return setUp();
  } catch (e) {
    try {
      db.close();
    } catch {
      // The error the caller sees is the one that stopped the set-up.
    }
    throw e;
  }
}
