// The UPDATE statements of message transitions (repos-messages.ts): one text per set of columns a
// transition writes, made once and kept with each column's kind (the values are bound by position).
import type { StatusChange } from '../../domain/types';
import { q, type ColumnKind } from './db';

/** A transition's UPDATE for one set of columns (positional parameters), built once per shape. */
export interface UpdateShape {
  text: string;
  cols: Array<[col: string, kind: ColumnKind]>;
}
const updateShapes = new Map<string, UpdateShape>();

/** The UPDATE of `fields` (their keys, in order, are what `key` names, with the from and lease kinds). */
export function updateShape(columns: Readonly<Record<string, ColumnKind>>, key: string, fields: Record<string, unknown>, oneFrom: boolean, leaseCheck: boolean): UpdateShape {
  let shape = updateShapes.get(key);
  if (!shape) {
    const cols = Object.keys(fields).filter((k) => columns[k] !== undefined);
    const text = `UPDATE messages SET ${cols.map((c) => `${q(c)} = ?`).join(', ')}, "attempts" = "attempts" + ?,
         "statusHistory" = json_insert("statusHistory", '$[#]', json(?))
       WHERE "id" = ? AND ${oneFrom ? '"status" = ?' : '"status" IN (SELECT value FROM json_each(?))'}${
         leaseCheck ? ' AND ("leaseUntil" IS NULL OR "leaseUntil" < ?)' : ''
       }`;
    // Few shapes exist (the callers' patches); a cap keeps a pathological caller bounded.
    if (updateShapes.size > 200) updateShapes.clear();
    shape = { text, cols: cols.map((c): [string, ColumnKind] => [c, columns[c]]) };
    updateShapes.set(key, shape);
  }
  return shape;
}

/**
 * The history entry's JSON, as JSON.stringify writes it (same keys in the same order), built by hand:
 * the stringifier calls the Date's toJSON from inside it (~1 µs of a transition's ~3 for this text).
 */
export function changeJson(c: StatusChange): string {
  if (Number.isNaN(c.at.getTime())) return JSON.stringify(c);
  let s = `{"status":${JSON.stringify(c.status)},"at":"${c.at.toISOString()}"`;
  if (c.reason !== undefined) s += `,"reason":${JSON.stringify(c.reason)}`;
  if (c.provider !== undefined) s += `,"provider":${JSON.stringify(c.provider)}`;
  if (c.providerStatus !== undefined) s += `,"providerStatus":${JSON.stringify(c.providerStatus)}`;
  return `${s}}`;
}
