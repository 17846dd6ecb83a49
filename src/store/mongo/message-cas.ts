// One compare-and-set transition of a message in MongoDB: its filter and update, and the message it leaves
// (built from the caller's copy, not read back).
import type { Message, MessageStatus, StatusChange } from '../../domain/types';
import type { MessageRepo } from '../store';
import { OWNED_IMMUTABLE } from '../common';
import { afterTransition } from '../transition-image';
import { CAS_TOKEN, packChange } from './message-docs';

type Doc = Record<string, unknown>;

/** Set by transition itself, never by its patch. */
const TRANSITION_OWNED = [...OWNED_IMMUTABLE, 'status', 'statusHistory', 'attempts'];

type TransitionOpts = NonNullable<Parameters<MessageRepo['transition']>[3]>;

/** Patch fields a transition sets itself (or never): skipped in its patch. */
const NOT_PATCHED: ReadonlySet<string> = new Set(TRANSITION_OWNED);

/** The filter and update of one compare-and-set transition (shared by transition and transitionEach). */
export function compareAndSet(id: string, from: MessageStatus[], to: MessageStatus, opts: TransitionOpts, token?: string): { filter: Doc; update: Doc; change: StatusChange } {
  // What patchUpdate makes of `{...patch, status, providerStatus}`, in one pass (the worker's hot path: two per message).
  const $set: Doc = {};
  let $unset: Doc | undefined;
  const patch = opts.patch as Doc | undefined;
  if (patch) {
    for (const k in patch) {
      if (NOT_PATCHED.has(k) || (k === 'providerStatus' && opts.providerStatus !== undefined)) continue;
      const v = patch[k];
      if (v === undefined) ($unset ??= {})[k] = '';
      else $set[k] = v;
    }
  }
  $set.status = to;
  if (opts.providerStatus !== undefined) $set.providerStatus = opts.providerStatus;
  const now = new Date();
  $set.updatedAt = now;
  // A claim's token (transitionEachReturning) has done its work once the message leaves `sending`: a field less in every final message.
  if (token !== undefined) $set[CAS_TOKEN] = token;
  else if (to !== 'sending') ($unset ??= {})[CAS_TOKEN] = '';
  const update: Doc = $unset ? { $set, $unset } : { $set };
  const change: StatusChange = { status: to, at: opts.at ?? now };
  if (opts.reason !== undefined) change.reason = opts.reason;
  if (typeof opts.patch?.provider === 'string') change.provider = opts.patch.provider;
  if (opts.providerStatus !== undefined) change.providerStatus = opts.providerStatus;
  update.$push = { statusHistory: packChange(change) };
  if (opts.incrementAttempts || opts.uncountAttempt) update.$inc = { attempts: opts.incrementAttempts ? 1 : -1 };
  // Equality for one status: servers that only use an index on exact-key equality (mongo-java-server) hit {_id, status}.
  const filter: Doc = { _id: id, status: from.length === 1 ? from[0] : { $in: from } };
  if (opts.leaseEndedBefore) filter.$or = [{ leaseUntil: null }, { leaseUntil: { $lt: opts.leaseEndedBefore } }];
  return { filter, update, change };
}

/** The message after the update, from the caller's copy (see `expected`): what the $set, $unset, $inc and $push did. */
export function imageOf(expected: Message, update: Doc, change: StatusChange): Message {
  const inc = ((update.$inc as Doc | undefined)?.attempts as number | undefined) ?? 0;
  const $unset = update.$unset as Doc | undefined;
  return afterTransition(expected, update.$set as Doc, $unset ? unsetKeys($unset) : NONE, inc, change, CAS_TOKEN);
}

const NONE: readonly string[] = [];
function unsetKeys($unset: Doc): string[] {
  const keys: string[] = [];
  for (const k in $unset) if (k !== CAS_TOKEN) keys.push(k);
  return keys;
}
