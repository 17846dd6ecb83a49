// A group commit's writes each in a savepoint (src/store/sqlite/wal-commit.ts): one that throws is
// undone alone and its caller gets the error; a lone write that throws undoes the whole transaction.
import Database from 'better-sqlite3';
import { savepoints } from '../../src/store/sqlite/wal-commit';

describe('group commit savepoints', () => {
  let db: Database.Database;
  const rows = () => (db.prepare('SELECT v FROM t ORDER BY v').all() as Array<{ v: number }>).map((r) => r.v);
  const insert = (v: number) => () => db.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes;
  const failingAfter = (v: number) => () => {
    insert(v)();
    throw new Error(`write ${v} refused`);
  };

  beforeEach(() => {
    db = new Database(':memory:');
    db.exec('CREATE TABLE t (v INTEGER)');
  });
  afterEach(() => db.close());

  it('undoes only the write that threw; the others of the group commit', () => {
    const sp = savepoints(db);
    const out = db.transaction(() => sp.each([insert(1), failingAfter(2), insert(3)])).immediate();
    expect(out.map((o) => o.ok)).toEqual([true, false, true]);
    expect((out[1] as { error: Error }).error.message).toBe('write 2 refused');
    expect(rows()).toEqual([1, 3]);
  });

  it('a lone write that throws rolls the transaction back and throws', () => {
    const sp = savepoints(db);
    expect(() => db.transaction(() => sp.each([failingAfter(7)])).immediate()).toThrow('write 7 refused');
    expect(rows()).toEqual([]);
    expect(db.inTransaction).toBe(false);
  });

  it('nests: a write caught inside another is undone alone', () => {
    const sp = savepoints(db);
    const outer = () => {
      insert(1)();
      try {
        sp.one(failingAfter(2));
      } catch {
        // the caller goes on without it
      }
      return insert(3)();
    };
    const out = db.transaction(() => sp.each([outer, insert(4)])).immediate();
    expect(out.every((o) => o.ok)).toBe(true);
    expect(rows()).toEqual([1, 3, 4]);
  });

  it('a write whose failure ended the transaction (I/O, a full disk) fails the group: no later write commits on its own', () => {
    const sp = savepoints(db);
    // SQLite rolls the whole transaction back on some errors (SQLITE_FULL, SQLITE_IOERR): as here.
    const endingTheTransaction = () => {
      insert(2)();
      db.exec('ROLLBACK');
      throw new Error('database or disk is full');
    };
    expect(() => db.transaction(() => sp.each([insert(1), endingTheTransaction, insert(3)])).immediate()).toThrow('database or disk is full');
    expect(rows()).toEqual([]);
    expect(db.inTransaction).toBe(false);
  });
});
