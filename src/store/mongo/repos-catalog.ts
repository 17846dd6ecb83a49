// Programs, event types and users in MongoDB.
import type { EventType, Program, User } from '../../domain/types';
import type { EventTypeRepo, ProgramRepo, UserRepo } from '../store';
import { ALWAYS_IMMUTABLE } from '../common';
import { pageOf, patchUpdate, toRecord } from './docs';
import type { Models } from './models';

type Doc = Record<string, unknown>;

/** Stamps and stores a record under its own id; resolves the stored shape. */
export async function createDoc<T>(model: Models[keyof Models], rec: object, extra: Doc = {}, idAsKey = true): Promise<T> {
  const now = new Date();
  const { id, ...rest } = rec as Doc;
  const doc = new model({ ...(idAsKey ? { _id: id } : { id }), ...rest, ...extra, createdAt: now, updatedAt: now });
  await doc.save();
  return toRecord<T>(doc.toObject(), Object.keys(extra));
}

export function programRepo(models: () => Models): ProgramRepo {
  return {
    async create(p) {
      return createDoc<Program>(models().programs, p);
    },
    async get(id) {
      const d = await models().programs.findById(id).lean<Doc>();
      return d ? toRecord<Program>(d) : null;
    },
    async update(id, patch) {
      const d = await models().programs.findByIdAndUpdate(id, patchUpdate(patch, ALWAYS_IMMUTABLE), { new: true }).lean<Doc>();
      return d ? toRecord<Program>(d) : null;
    },
    async delete(id) {
      const m = models();
      // No transactions: the program goes first so nothing new can attach to it, then its children.
      const res = await m.programs.deleteOne({ _id: id });
      await m.eventTypes.deleteMany({ programId: id });
      await m.subscriptions.deleteMany({ programId: id });
      return res.deletedCount > 0;
    },
    async list(q) {
      return pageOf<Program>(models().programs, {}, { _id: 1 }, q);
    },
  };
}

export function eventTypeRepo(models: () => Models): EventTypeRepo {
  return {
    async create(e) {
      return createDoc<EventType>(models().eventTypes, e, {}, false);
    },
    async get(programId, id) {
      const d = await models().eventTypes.findOne({ programId, id }).lean<Doc>();
      return d ? toRecord<EventType>(d) : null;
    },
    async update(programId, id, patch) {
      const update = patchUpdate(patch, [...ALWAYS_IMMUTABLE, 'programId']);
      const d = await models().eventTypes.findOneAndUpdate({ programId, id }, update, { new: true }).lean<Doc>();
      return d ? toRecord<EventType>(d) : null;
    },
    async delete(programId, id) {
      const m = models();
      const res = await m.eventTypes.deleteOne({ programId, id });
      // Direct subscriptions go with their event type, so a re-created id does not inherit them.
      await m.subscriptions.deleteMany({ programId, eventTypeId: id });
      return res.deletedCount > 0;
    },
    async list(programId, q) {
      return pageOf<EventType>(models().eventTypes, { programId }, { id: 1 }, q);
    },
  };
}

export function userRepo(models: () => Models): UserRepo {
  return {
    async create(u) {
      return createDoc<User>(models().users, u);
    },
    async get(id) {
      const d = await models().users.findById(id).lean<Doc>();
      return d ? toRecord<User>(d) : null;
    },
    async update(id, patch) {
      const d = await models().users.findByIdAndUpdate(id, patchUpdate(patch, ALWAYS_IMMUTABLE), { new: true }).lean<Doc>();
      return d ? toRecord<User>(d) : null;
    },
    async delete(id) {
      const m = models();
      const res = await m.users.deleteOne({ _id: id });
      await m.subscriptions.deleteMany({ userId: id });
      return res.deletedCount > 0;
    },
    async list(q) {
      return pageOf<User>(models().users, {}, { _id: 1 }, q);
    },
  };
}

/** Users by id (any order); ids not found are simply missing. */
export async function usersByIds(models: Models, ids: string[]): Promise<User[]> {
  if (ids.length === 0) return [];
  const docs = await models.users.find({ _id: { $in: ids } }).lean<Doc[]>();
  return docs.map((d) => toRecord<User>(d));
}
