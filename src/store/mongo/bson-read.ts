// A lean reader of the BSON documents the worker reads by the hundred (its messages): the same value
// as the driver's BSON.deserialize gives with its defaults, for the types Herald stores (strings,
// numbers, booleans, dates, null, documents, arrays). The general reader builds a validation set and
// a few objects for every nested document, a Long for every date and a new string for every field
// name: ~8 KB of garbage and ~5 µs for one message. A document holding any other type (ObjectId,
// binary, decimal, a long beyond 2^53...) is read by BSON.deserialize, whole.
import { mongo } from 'mongoose';

const { deserialize } = mongo.BSON;

type Doc = Record<string, unknown>;

class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported('unsupported BSON type');

const TWO_32 = 4_294_967_296;

/** Field names seen before, by length, first and last byte (checked byte by byte before use). */
const names = new Map<number, string>();

function nameAt(buf: Buffer, start: number, end: number): string {
  const len = end - start;
  if (len === 0) return '';
  const key = (len << 16) | (buf[start] << 8) | buf[end - 1];
  const known = names.get(key);
  if (known !== undefined && known.length === len) {
    let same = true;
    for (let i = 0; i < len; i++) {
      if (known.charCodeAt(i) !== buf[start + i]) {
        same = false;
        break;
      }
    }
    if (same) return known;
  }
  const name = buf.toString('utf8', start, end);
  // ASCII names only (a char per byte, as the check above compares); a bounded cache.
  if (name.length === len && names.size < 512) names.set(key, name);
  return name;
}

function readInt64(buf: Buffer, at: number): number {
  const lo = buf.readUInt32LE(at);
  const hi = buf.readInt32LE(at + 4);
  const n = hi * TWO_32 + lo;
  if (!Number.isSafeInteger(n)) throw UNSUPPORTED;
  return n;
}

function readDocument(buf: Buffer, start: number, isArray: boolean): Doc | unknown[] {
  const size = buf.readInt32LE(start);
  const end = start + size - 1;
  if (size < 5 || end >= buf.length || buf[end] !== 0) throw UNSUPPORTED;
  const out: Doc | unknown[] = isArray ? [] : {};
  let i = start + 4;
  while (i < end) {
    const type = buf[i++];
    const nameStart = i;
    while (buf[i] !== 0) i++;
    if (i >= end) throw UNSUPPORTED;
    const name = isArray ? '' : nameAt(buf, nameStart, i);
    // `$ref`-like names (BSON.deserialize may make a DBRef of the document) and `__proto__`: the general reader.
    if (!isArray && (name.charCodeAt(0) === 36 || name === '__proto__')) throw UNSUPPORTED;
    i++;
    let value: unknown;
    switch (type) {
      case 0x02: {
        const len = buf.readInt32LE(i);
        if (len < 1 || i + 4 + len > end + 1 || buf[i + 3 + len] !== 0) throw UNSUPPORTED;
        value = buf.toString('utf8', i + 4, i + 3 + len);
        i += 4 + len;
        break;
      }
      case 0x01:
        value = buf.readDoubleLE(i);
        i += 8;
        break;
      case 0x10:
        value = buf.readInt32LE(i);
        i += 4;
        break;
      case 0x12:
        value = readInt64(buf, i);
        i += 8;
        break;
      case 0x09:
        value = new Date(readInt64(buf, i));
        i += 8;
        break;
      case 0x08:
        value = buf[i] === 1;
        i += 1;
        break;
      case 0x0a:
        value = null;
        break;
      case 0x03:
      case 0x04:
        value = readDocument(buf, i, type === 0x04);
        i += buf.readInt32LE(i);
        break;
      default:
        throw UNSUPPORTED;
    }
    if (isArray) (out as unknown[]).push(value);
    else (out as Doc)[name] = value;
  }
  return out;
}

/** One document's bytes as BSON.deserialize would read them (its default options). */
export function readBson(buf: Buffer): Doc {
  try {
    if (buf.length >= 5 && buf.readInt32LE(0) === buf.length) return readDocument(buf, 0, false) as Doc;
  } catch (e) {
    if (!(e instanceof Unsupported) && !(e instanceof RangeError)) throw e;
  }
  return deserialize(buf);
}
