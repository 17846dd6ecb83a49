// A batch the server answers with duplicates *and* a write concern error was not made durable:
// it must fail as a write concern error, not pass as "only duplicates" (which callers take as stored).
// Writes that ask for it are sent once more after an error the driver labels a retryable write.
import { mongo, type Model } from 'mongoose';
import { insertEach, updateEach } from '../../src/store/mongo/raw-writes';

/** The smallest stand-in for a connected model: what raw-writes reads (db.db.command, writeConcern, collectionName). */
function modelAnswering(reply: Record<string, unknown>): { model: Model<any>; commands: Array<Record<string, unknown>> } {
  const commands: Array<Record<string, unknown>> = [];
  const db = { writeConcern: { w: 'majority', journal: true }, command: async (c: Record<string, unknown>) => (commands.push(c), reply) };
  return { model: { db: { db }, collection: { collectionName: 'messages' } } as unknown as Model<any>, commands };
}

const duplicate = { index: 0, code: 11000, errmsg: 'E11000 duplicate key' };
const notReplicated = { code: 64, errmsg: 'waiting for replication timed out' };

describe('raw writes', () => {
  it('an insert with a duplicate and a write concern error fails as a write concern error', async () => {
    const { model, commands } = modelAnswering({ n: 1, writeErrors: [duplicate], writeConcernError: notReplicated });
    await expect(insertEach(model, [{ _id: 'a' }, { _id: 'b' }], false)).rejects.toMatchObject({ name: 'MongoWriteConcernError', code: 64 });
    expect(commands[0].writeConcern).toEqual({ w: 'majority', j: true });
  });

  it('an update with a write concern error fails even when every write matched', async () => {
    const { model } = modelAnswering({ n: 2, nModified: 2, writeConcernError: notReplicated });
    await expect(updateEach(model, [{ filter: { _id: 'a' }, update: { $set: { x: 1 } } }])).rejects.toMatchObject({ name: 'MongoWriteConcernError' });
  });

  it('duplicates alone are write errors the caller can tell apart', async () => {
    const { model } = modelAnswering({ n: 1, writeErrors: [duplicate] });
    await expect(insertEach(model, [{ _id: 'a' }, { _id: 'b' }], false)).rejects.toMatchObject({ name: 'MongoBulkWriteError', code: 11000 });
  });

  describe('retryOnce', () => {
    /** A model whose command answers each call from `answers` in turn (an Error is thrown). */
    function modelAnswering(...answers: Array<Record<string, unknown> | Error>): { model: Model<any>; calls: () => number } {
      let calls = 0;
      const db = {
        writeConcern: { w: 'majority', journal: true },
        command: async () => {
          const a = answers[Math.min(calls++, answers.length - 1)];
          if (a instanceof Error) throw a;
          return a;
        },
      };
      return { model: { db: { db }, collection: { collectionName: 'messages' } } as unknown as Model<any>, calls: () => calls };
    }
    const labelled = <E extends mongo.MongoError>(e: E, ...labels: string[]): E => (labels.forEach((l) => e.addErrorLabel(l)), e);
    const steppedDown = () => labelled(new mongo.MongoServerError({ message: 'not primary', code: 10107 }), 'RetryableWriteError');
    const cut = () => labelled(new mongo.MongoNetworkError('connection 3 to 127.0.0.1:27017 closed'), 'RetryableWriteError');

    it('an insert that fails with a retryable write error is sent again and succeeds', async () => {
      const { model, calls } = modelAnswering(steppedDown(), { n: 2 });
      await expect(insertEach(model, [{ _id: 'a' }, { _id: 'b' }], false, { retryOnce: true })).resolves.toBe(2);
      expect(calls()).toBe(2);
    });

    it('a compare-and-set cut off by the network is sent again and succeeds', async () => {
      const { model, calls } = modelAnswering(cut(), { n: 1, nModified: 1 });
      await expect(updateEach(model, [{ filter: { _id: 'a', status: 'dispatching' }, update: { $set: { status: 'dispatched' } } }], { retryOnce: true })).resolves.toEqual({ matched: 1, modified: 1 });
      expect(calls()).toBe(2);
    });

    it('a repeat that finds the first attempt applied keeps the usual handling of duplicates', async () => {
      const { model } = modelAnswering(cut(), { n: 0, writeErrors: [duplicate, { ...duplicate, index: 1 }] });
      await expect(insertEach(model, [{ _id: 'a' }, { _id: 'b' }], false, { retryOnce: true })).rejects.toMatchObject({ name: 'MongoBulkWriteError', code: 11000 });
    });

    it('only once: a second retryable error fails the write', async () => {
      const second = steppedDown();
      const { model, calls } = modelAnswering(steppedDown(), second, { n: 1 });
      await expect(insertEach(model, [{ _id: 'a' }], false, { retryOnce: true })).rejects.toBe(second);
      expect(calls()).toBe(2);
    });

    it('an error without the label is not retried', async () => {
      const err = new mongo.MongoServerError({ message: 'document failed validation', code: 121 });
      const { model, calls } = modelAnswering(err, { n: 1 });
      await expect(insertEach(model, [{ _id: 'a' }], false, { retryOnce: true })).rejects.toBe(err);
      expect(calls()).toBe(1);
    });

    it('without retryOnce a retryable error is not retried (an $inc repeated would count twice)', async () => {
      const err = steppedDown();
      const { model, calls } = modelAnswering(err, { n: 1, nModified: 1 });
      await expect(updateEach(model, [{ filter: { _id: 'a' }, update: { $inc: { n: 1 } }, upsert: true }])).rejects.toBe(err);
      expect(calls()).toBe(1);
    });
  });
});
