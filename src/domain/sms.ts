// SMS length as carriers count it (GSM 03.38 septets or UCS-2 code units), and splitting long texts.
import { ConfigError } from './errors';
import type { SmsInfo } from './types';

/** GSM 03.38 basic character set (one septet each); the escape code 0x1B itself is excluded. */
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
/** GSM 03.38 extension table: escape + character, two septets each. */
const GSM_EXTENSION = '\f^{}\\[~]|€';

const BASIC = new Set(GSM_BASIC);
const EXTENSION = new Set(GSM_EXTENSION);

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsAnalysis {
  encoding: SmsEncoding;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
  /** Carrier segments; 0 for an empty text. */
  segments: number;
  /** Units a segment holds: 160/70 when the text fits one, 153/67 when concatenated. */
  perSegment: number;
}

const LIMITS = {
  'GSM-7': { single: 160, concatenated: 153 },
  'UCS-2': { single: 70, concatenated: 67 },
} as const;

/** Default maximum SMS length: six concatenated GSM-7 segments. */
export const DEFAULT_SMS_MAX_LENGTH = 918;

export function isGsm7(text: string): boolean {
  for (const ch of text) if (!BASIC.has(ch) && !EXTENSION.has(ch)) return false;
  return true;
}

export function encodingOf(text: string): SmsEncoding {
  return isGsm7(text) ? 'GSM-7' : 'UCS-2';
}

/** Units one code point costs: extension characters are two septets, astral code points two code units. */
function unitCost(ch: string, encoding: SmsEncoding): number {
  if (encoding === 'UCS-2') return ch.length;
  return EXTENSION.has(ch) ? 2 : 1;
}

/**
 * Counts units and concatenated segments as it goes. A character never straddles two segments
 * (an escape pair or a surrogate pair that does not fit starts the next one).
 */
class SegmentCounter {
  units = 0;
  private concatSegments = 1;
  private fill = 0;
  constructor(private readonly encoding: SmsEncoding) {}

  add(ch: string): void {
    const cost = unitCost(ch, this.encoding);
    this.units += cost;
    if (this.fill + cost > LIMITS[this.encoding].concatenated) {
      this.concatSegments += 1;
      this.fill = cost;
    } else {
      this.fill += cost;
    }
  }

  get segments(): number {
    if (this.units === 0) return 0;
    return this.units <= LIMITS[this.encoding].single ? 1 : this.concatSegments;
  }
}

export function analyzeSms(text: string): SmsAnalysis {
  const encoding = encodingOf(text);
  const counter = new SegmentCounter(encoding);
  for (const ch of text) counter.add(ch);
  const { single, concatenated } = LIMITS[encoding];
  return {
    encoding,
    units: counter.units,
    segments: counter.segments,
    perSegment: counter.units <= single ? single : concatenated,
  };
}

/** A part's budget: at most `units`, and no more carrier segments than that many plain units would take. */
function budgetFor(maxLength: number, encoding: SmsEncoding): { units: number; segments: number } {
  // UCS-2 scales the limit so a part takes the same number of segments (918 -> 402 = 6 x 67).
  const units = encoding === 'GSM-7' ? maxLength : Math.max(1, Math.floor((maxLength * 67) / 153));
  const { single, concatenated } = LIMITS[encoding];
  return { units, segments: units <= single ? 1 : Math.ceil(units / concatenated) };
}

function fits(counter: SegmentCounter, budget: { units: number; segments: number }): boolean {
  return counter.units <= budget.units && counter.segments <= budget.segments;
}

/** String index just past the longest prefix of `text` within the budget (at least one code point). */
function longestFittingPrefix(text: string, encoding: SmsEncoding, budget: { units: number; segments: number }): number {
  const counter = new SegmentCounter(encoding);
  let end = 0;
  for (const ch of text) {
    counter.add(ch);
    if (!fits(counter, budget)) break;
    end += ch.length;
  }
  // A budget smaller than one character: send that character alone rather than loop forever.
  return end > 0 ? end : String.fromCodePoint(text.codePointAt(0)!).length;
}

const WHITESPACE = /\s/;

/** The last word boundary at or before `end`: a whitespace whose previous character is not whitespace. */
function lastWordBreak(text: string, end: number): number {
  for (let i = end; i > 0; i--) {
    if (WHITESPACE.test(text[i]) && !WHITESPACE.test(text[i - 1])) return i;
  }
  return -1;
}

function fitsWhole(text: string, encoding: SmsEncoding, budget: { units: number; segments: number }): boolean {
  const counter = new SegmentCounter(encoding);
  for (const ch of text) {
    counter.add(ch);
    if (!fits(counter, budget)) return false;
  }
  return true;
}

function checkMaxLength(maxLength: number): void {
  if (!Number.isInteger(maxLength) || maxLength < 1) {
    throw new ConfigError(`SMS maximum length must be a positive integer, got ${maxLength}`);
  }
}

/**
 * Splits a text longer than `maxLength` (GSM-7 septets; UCS-2 texts get maxLength x 67/153 code
 * units) into texts sent in order, each within that many units and within as many carrier segments
 * as `maxLength` plain characters take (so a `€` or emoji at a segment boundary cannot make a
 * seventh part). Splits at whitespace when it can, trims whitespace at split points, hard-splits
 * longer words, never splits a surrogate pair or an escape pair. An empty text gives no parts.
 */
export function splitSms(text: string, maxLength: number = DEFAULT_SMS_MAX_LENGTH): string[] {
  checkMaxLength(maxLength);
  if (text.length === 0) return [];
  const encoding = encodingOf(text);
  const budget = budgetFor(maxLength, encoding);
  const parts: string[] = [];
  let rest = text;
  while (rest.length > 0 && !fitsWhole(rest, encoding, budget)) {
    const hardEnd = longestFittingPrefix(rest, encoding, budget);
    const wordEnd = lastWordBreak(rest, hardEnd);
    const end = wordEnd > 0 ? wordEnd : hardEnd;
    const head = rest.slice(0, end);
    if (head.trim().length > 0) parts.push(head);
    rest = rest.slice(end).trimStart();
  }
  if (rest.length > 0) parts.push(rest);
  return parts;
}

/** The parts to send and what the carrier will count for them all. */
export function smsInfo(text: string, maxLength: number = DEFAULT_SMS_MAX_LENGTH): SmsInfo {
  const parts = splitSms(text, maxLength);
  const segments = parts.reduce((sum, part) => sum + analyzeSms(part).segments, 0);
  return { encoding: encodingOf(text), segments, parts };
}
