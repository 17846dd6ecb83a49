import { ConfigError } from '../../src/domain/errors';
import { analyzeSms, encodingOf, estimateSms, isBlankText, smartEncode, smsInfo, splitSms } from '../../src/domain/sms';

const gsm = (n: number) => 'a'.repeat(n);
const EMOJI = '😀'; // one code point, two UTF-16 code units

describe('analyzeSms: GSM-7', () => {
  it.each([
    [0, 0, 0, 160],
    [1, 1, 1, 160],
    [160, 160, 1, 160],
    [161, 161, 2, 153],
    [306, 306, 2, 153],
    [307, 307, 3, 153],
    [918, 918, 6, 153],
    [919, 919, 7, 153],
  ])('%i plain characters: %i septets, %i segments of %i', (n, units, segments, perSegment) => {
    expect(analyzeSms(gsm(n))).toEqual({ encoding: 'GSM-7', units, segments, perSegment });
  });

  it('counts every extension character as two septets', () => {
    expect(analyzeSms('^{}\\[~]|€').units).toBe(18);
    expect(analyzeSms('^{}\\[~]|€').encoding).toBe('GSM-7');
  });

  it('keeps the basic set (accents, Greek capitals, newline) in GSM-7', () => {
    expect(analyzeSms('Ça coûte £5 à Ñandú: ΔΦΓΛΩΠΨΣΘΞ é\n§¿¡').encoding).toBe('UCS-2'); // û is not GSM
    expect(analyzeSms('Ça coute £5 à Ñandu: ΔΦΓΛΩΠΨΣΘΞ é\n§¿¡')).toMatchObject({ encoding: 'GSM-7', units: 37 });
    expect(encodingOf('Ñandú')).toBe('UCS-2'); // ú is only in the Spanish shift table
  });

  it('a € filling septets 159-160 still fits one SMS; one more character makes two', () => {
    expect(analyzeSms(gsm(158) + '€')).toMatchObject({ units: 160, segments: 1 });
    expect(analyzeSms(gsm(159) + '€')).toMatchObject({ units: 161, segments: 2 });
  });

  it('never splits an escape pair across parts: a € at septet 153 moves to the next part', () => {
    // 152 + 2 = 154 > 153: the € starts part 2; 152 + (2 + 152) = 306 septets need a third part.
    expect(analyzeSms(gsm(152) + '€' + gsm(152))).toMatchObject({ units: 306, segments: 3, perSegment: 153 });
    expect(analyzeSms(gsm(151) + '€' + gsm(153))).toMatchObject({ units: 306, segments: 2 });
  });
});

describe('analyzeSms: UCS-2', () => {
  it.each([
    [70, 70, 1, 70],
    [71, 71, 2, 67],
    [134, 134, 2, 67],
    [135, 135, 3, 67],
  ])('%i characters with one non-GSM: %i code units, %i segments of %i', (n, units, segments, perSegment) => {
    expect(analyzeSms('ы' + gsm(n - 1))).toEqual({ encoding: 'UCS-2', units, segments, perSegment });
  });

  it('counts an emoji as two code units', () => {
    expect(analyzeSms(EMOJI + gsm(68))).toMatchObject({ encoding: 'UCS-2', units: 70, segments: 1 });
    expect(analyzeSms(EMOJI + gsm(69))).toMatchObject({ units: 71, segments: 2 });
  });

  it('never splits a surrogate pair: an emoji at code unit 67 moves to the next part', () => {
    expect(analyzeSms(gsm(66) + EMOJI + gsm(66))).toMatchObject({ units: 134, segments: 3 });
    expect(analyzeSms(gsm(65) + EMOJI + gsm(67))).toMatchObject({ units: 134, segments: 2 });
  });

  it('one non-GSM character turns the whole text UCS-2', () => {
    expect(encodingOf(gsm(100))).toBe('GSM-7');
    expect(encodingOf(gsm(100) + 'ç')).toBe('UCS-2'); // GSM has Ç but not ç
    expect(encodingOf('\u001b')).toBe('UCS-2'); // the bare escape code is not text
  });
});

const words = (text: string) => text.split(/\s+/).filter(Boolean);

describe('splitSms', () => {
  it('keeps a text within the limit whole', () => {
    expect(splitSms(gsm(918))).toEqual([gsm(918)]);
    expect(splitSms('  hello  ')).toEqual(['  hello  ']);
  });

  it('gives no parts for an empty text', () => {
    expect(splitSms('')).toEqual([]);
  });

  it('splits 2,000 characters into ordered parts of at most 918 that rejoin to the original words', () => {
    const text = Array.from({ length: 400 }, (_, i) => `w${String(i).padStart(3, '0')}`).join(' '); // 1,999 chars
    const parts = splitSms(text, 918);
    expect(parts.length).toBe(3);
    for (const p of parts) {
      expect(analyzeSms(p).units).toBeLessThanOrEqual(918);
      expect(p).toBe(p.trim());
      expect(p.length).toBeGreaterThan(0);
    }
    expect(words(parts.join(' '))).toEqual(words(text));
    expect(parts.join(' ')).toBe(text);
  });

  it('splits at the last whitespace that fits and trims around it', () => {
    expect(splitSms('aaaa bbbb   cccc', 10)).toEqual(['aaaa bbbb', 'cccc']);
    expect(splitSms('aaaa\nbbbb\n\ncccc dd', 9)).toEqual(['aaaa\nbbbb', 'cccc dd']);
  });

  it('uses a space just after a word that fills the part exactly', () => {
    expect(splitSms('aaaaa bbbbb', 5)).toEqual(['aaaaa', 'bbbbb']);
  });

  it('hard-splits a word longer than the limit', () => {
    expect(splitSms('x ' + 'y'.repeat(25) + ' z', 10)).toEqual(['x', 'yyyyyyyyyy', 'yyyyyyyyyy', 'yyyyy z']);
  });

  it('never splits an escape pair and counts it as two septets', () => {
    expect(splitSms('aaaa€bbbb', 5)).toEqual(['aaaa', '€bbb', 'b']);
    expect(splitSms('€'.repeat(5), 4)).toEqual(['€€', '€€', '€']);
  });

  it('never splits a surrogate pair in a UCS-2 text', () => {
    // maxLength 10 GSM -> floor(10 x 67 / 153) = 4 code units for UCS-2.
    const parts = splitSms('abc' + EMOJI + 'defg', 10);
    expect(parts).toEqual(['abc', EMOJI + 'de', 'fg']);
    expect(parts.join('')).toBe('abc' + EMOJI + 'defg');
  });

  it('scales the UCS-2 limit to the same number of segments: 918 -> 402 code units (6 x 67)', () => {
    const fits = 'ы'.repeat(402);
    expect(splitSms(fits)).toEqual([fits]);
    const parts = splitSms('ы'.repeat(403));
    expect(parts.map((p) => p.length)).toEqual([402, 1]);
    expect(analyzeSms(parts[0]).segments).toBe(6);
  });

  it('keeps a part to six carrier segments when a € would straddle a segment boundary', () => {
    // 918 septets, but the € at septets 153-154 forces a 7th segment: the part ends earlier.
    const text = gsm(152) + '€' + gsm(764);
    expect(analyzeSms(text)).toMatchObject({ units: 918, segments: 7 });
    const parts = splitSms(text, 918);
    expect(parts.length).toBe(2);
    expect(parts.every((p) => analyzeSms(p).segments <= 6)).toBe(true);
    expect(parts.join('')).toBe(text);
  });

  it('keeps a part to six segments when an emoji straddles a UCS-2 segment boundary', () => {
    const text = 'ы'.repeat(66) + EMOJI + 'ы'.repeat(334); // 402 code units
    expect(analyzeSms(text).segments).toBe(7);
    const parts = splitSms(text);
    expect(parts.every((p) => analyzeSms(p).segments <= 6)).toBe(true);
    expect(parts.join('')).toBe(text);
  });

  it('drops whitespace-only stretches at split points instead of sending empty parts', () => {
    expect(splitSms('ab' + ' '.repeat(30) + 'cd', 10)).toEqual(['ab', 'cd']);
  });

  it('refuses a maximum length that is not a positive integer', () => {
    expect(() => splitSms('abc', 0)).toThrow(ConfigError);
    expect(() => splitSms('abc', 2.5)).toThrow(ConfigError);
  });
});

describe('smsInfo', () => {
  it('one short text: one part, one segment', () => {
    expect(smsInfo('Hello')).toEqual({ encoding: 'GSM-7', segments: 1, parts: ['Hello'] });
  });

  it('counts carrier segments over all parts', () => {
    const text = `${gsm(900)} ${gsm(200)}`;
    const info = smsInfo(text, { maxLength: 918 });
    expect(info.parts).toEqual([gsm(900), gsm(200)]);
    expect(info.segments).toBe(6 + 2);
    expect(info.encoding).toBe('GSM-7');
  });

  it('reports UCS-2 for a text with an emoji and counts its segments', () => {
    expect(smsInfo(`Karibu ${EMOJI}`)).toEqual({ encoding: 'UCS-2', segments: 1, parts: [`Karibu ${EMOJI}`] });
  });

  it('an empty text has no parts and costs nothing', () => {
    expect(smsInfo('')).toEqual({ encoding: 'GSM-7', segments: 0, parts: [] });
  });
});

describe('splitSms: never inside a grapheme cluster', () => {
  const FLAG = '🇰🇪'; // two regional indicators
  const FAMILY = '👩🏽‍👩🏽‍👧🏽'; // skin tones joined by ZWJ
  const ACCENTED = 'e\u0301\u0323'; // e + two combining marks
  const clusters = (t: string) => Array.from(new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(t), (s) => s.segment);

  it.each([
    ['flags', FLAG],
    ['ZWJ sequences with skin tones', FAMILY],
    ['combining accents', ACCENTED],
  ])('%s stay whole at every part boundary', (_name, cluster) => {
    const text = cluster.repeat(60);
    for (const max of [5, 7, 11, 20, 33]) {
      const parts = splitSms(text, max);
      expect(parts.join('')).toBe(text);
      for (const p of parts) expect(clusters(p).every((c) => c === cluster)).toBe(true);
    }
  });

  it('a space carrying a combining mark is not a split point', () => {
    const text = `${'a'.repeat(8)} \u0301${'b'.repeat(8)}`;
    const parts = splitSms(text, 10);
    expect(parts.some((p) => p.startsWith('\u0301'))).toBe(false);
  });

  it('a no-break space is text: kept, never a split point that vanishes', () => {
    const text = `Dr.\u00a0Amina ${'x'.repeat(20)} 10\u00a0000\u00a0KES due`;
    const parts = splitSms(text, 30);
    expect(parts[0]).toBe('Dr.\u00a0Amina');
    expect(parts.join('')).toContain('\u00a0000\u00a0KES');
    expect(parts.join('').split('\u00a0')).toHaveLength(4);
  });
});

describe('smart encoding', () => {
  const curly = `\u201cHello\u201d \u2014 it\u2019s 10\u00a0am\u2026 ${'a'.repeat(120)}`;

  it('replaces curly quotes, long dashes, the ellipsis and no-break spaces with GSM-7 before counting', () => {
    expect(smartEncode(curly)).toBe(`"Hello" - it's 10 am... ${'a'.repeat(120)}`);
    expect(smsInfo(curly)).toMatchObject({ encoding: 'UCS-2', segments: 3 });
    expect(smsInfo(curly, { smartEncoding: true })).toEqual({ encoding: 'GSM-7', segments: 1, parts: [smartEncode(curly)] });
  });

  it('is off by default and leaves other Unicode alone', () => {
    expect(smsInfo('Karibu ☕').encoding).toBe('UCS-2');
    expect(smsInfo('Karibu ☕', { smartEncoding: true }).encoding).toBe('UCS-2');
  });
});

describe('estimateSms', () => {
  it('gives encoding, segments, characters per segment, parts and the characters forcing UCS-2', () => {
    expect(estimateSms('Hello')).toEqual({
      encoding: 'GSM-7', units: 5, segments: 1, perSegment: 160, text: 'Hello', characters: 5, parts: 1, totalSegments: 1, nonGsmCharacters: [], smartEncoding: false,
    });
    const e = estimateSms(`it\u2019s ${'a'.repeat(70)}`);
    expect(e).toMatchObject({ encoding: 'UCS-2', segments: 2, perSegment: 67, nonGsmCharacters: ['\u2019'] });
    expect(estimateSms(`it\u2019s ${'a'.repeat(70)}`, { smartEncoding: true })).toMatchObject({ encoding: 'GSM-7', segments: 1, perSegment: 160 });
    expect(estimateSms('🇰🇪👍🏽').characters).toBe(2);
    expect(estimateSms('a'.repeat(1000), { maxLength: 918 })).toMatchObject({ parts: 2, segments: 7 });
  });

  it('knows a blank text', () => {
    for (const t of ['', '   ', '\u00a0\n\t', '\u200b\u2060']) expect(isBlankText(t)).toBe(true);
    expect(isBlankText(' a ')).toBe(false);
  });
});
