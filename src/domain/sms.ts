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

const GRAPHEMES = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Characters as a person counts them: grapheme clusters (a flag, an emoji sequence, a letter with its accents). */
function graphemeCount(text: string): number {
  // ASCII needs no segmenter (slow on long texts): every character is one cluster but CR LF.
  if (/^[\x00-\x7f]*$/.test(text)) return text.length - (text.match(/\r\n/g)?.length ?? 0);
  let n = 0;
  for (const _ of GRAPHEMES.segment(text)) n++;
  return n;
}

/**
 * String index just past the longest run of whole grapheme clusters of `text` within the budget
 * (at least one cluster, so a cluster larger than the budget goes alone rather than loop forever).
 */
function longestFittingPrefix(text: string, encoding: SmsEncoding, budget: { units: number; segments: number }): number {
  const counter = new SegmentCounter(encoding);
  // A part holds at most budget.units code points: segment only that far (segmenting is slow), plus room to finish a cluster.
  const window = text.slice(0, budget.units * 2 + 64);
  let end = 0;
  for (const { segment: g, index } of GRAPHEMES.segment(window)) {
    for (const ch of g) counter.add(ch);
    const cut = window.length < text.length && index + g.length === window.length;
    if (!fits(counter, budget) || cut) return end > 0 ? end : g.length;
    end += g.length;
  }
  return end;
}

/** Where a text may break between words: whitespace, but never a no-break space (U+00A0, U+2007, U+202F, U+2060). */
const BREAKABLE = /[\t\n\v\f\r \u1680\u2000-\u2006\u2008-\u200a\u2028\u2029\u205f\u3000]/;
/** Spaces at the start of the next part, except one that carries a combining mark. */
const LEADING_BREAKABLE = new RegExp(`^(?:${BREAKABLE.source})+(?!\\p{M})`, 'u');
const COMBINING = /^\p{M}/u;
const isBlankPart = (s: string): boolean => s.replace(new RegExp(BREAKABLE.source, 'g'), '').length === 0;

/** The last word boundary at or before `end`: a breakable space whose previous character is not one. */
function lastWordBreak(text: string, end: number): number {
  for (let i = end; i > 0; i--) {
    // A space carrying a combining mark is one cluster with it: not a break.
    if (BREAKABLE.test(text[i]) && !BREAKABLE.test(text[i - 1]) && !COMBINING.test(text[i + 1] ?? '')) return i;
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
 * seventh part). Splits at a breakable space when it can (a no-break space is text and stays),
 * drops the spaces at split points, hard-splits longer words between grapheme clusters, never
 * inside one (a flag, an emoji sequence, a letter with its accents). An empty text gives no parts.
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
    if (!isBlankPart(head)) parts.push(head);
    rest = rest.slice(end).replace(LEADING_BREAKABLE, '');
  }
  if (rest.length > 0) parts.push(rest);
  return parts;
}

/** Unicode look-alikes and their GSM-7 equivalents, for the smart-encoding option. */
const LOOK_ALIKES: ReadonlyArray<[RegExp, string]> = [
  [/[\u2018\u2019\u201a\u201b\u2032\u00b4]/g, "'"],
  [/[\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb]/g, '"'],
  [/[\u2010\u2011\u2012\u2013\u2014\u2015\u2212]/g, '-'],
  [/\u2026/g, '...'],
  [/[\u00a0\u2007\u202f\u2002\u2003\u2009]/g, ' '],
];

/** The text with curly quotes, long dashes, the ellipsis and no-break spaces as GSM-7 characters. */
export function smartEncode(text: string): string {
  return LOOK_ALIKES.reduce((t, [from, to]) => t.replace(from, to), text);
}

export interface SmsOptions {
  maxLength?: number;
  /** Replace Unicode look-alikes with GSM-7 before counting and sending (config `sms.smartEncoding`). */
  smartEncoding?: boolean;
}

/** The parts to send and what the carrier will count for them all. */
export function smsInfo(text: string, opts: SmsOptions = {}): SmsInfo {
  const sent = opts.smartEncoding ? smartEncode(text) : text;
  const parts = splitSms(sent, opts.maxLength ?? DEFAULT_SMS_MAX_LENGTH);
  const segments = parts.reduce((sum, part) => sum + analyzeSms(part).segments, 0);
  return { encoding: encodingOf(sent), segments, parts };
}

/** Renders nothing a person could read: empty, whitespace, or invisible format characters only. */
export function isBlankText(text: string): boolean {
  return /^[\s\p{Cf}]*$/u.test(text);
}

export interface SmsEstimate extends SmsAnalysis {
  /** The text as it would be sent (after smart encoding, when on). */
  text: string;
  /** Characters as a person counts them (grapheme clusters). */
  characters: number;
  /** Messages Herald sends for it: more than one when longer than the maximum SMS length. */
  parts: number;
  /** Carrier segments over every part. */
  totalSegments: number;
  /** The distinct characters that are not GSM-7 (any one makes the whole text UCS-2). */
  nonGsmCharacters: string[];
  smartEncoding: boolean;
}

/** What sending `text` would cost, before sending it. */
export function estimateSms(text: string, opts: SmsOptions = {}): SmsEstimate {
  const sent = opts.smartEncoding ? smartEncode(text) : text;
  const info = smsInfo(sent, { maxLength: opts.maxLength });
  const nonGsm = [...new Set(Array.from(sent).filter((ch) => !BASIC.has(ch) && !EXTENSION.has(ch)))];
  return {
    ...analyzeSms(sent),
    text: sent,
    characters: graphemeCount(sent),
    parts: info.parts.length,
    totalSegments: info.segments,
    nonGsmCharacters: nonGsm,
    smartEncoding: opts.smartEncoding === true,
  };
}
