// A batch the server answers with duplicates *and* a write concern error was not made durable:
// it must fail as a write concern error, not pass as "only duplicates" (which callers take as stored).
import type { Model } from 'mongoose';
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
});
