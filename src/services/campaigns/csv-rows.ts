// Rows of an operator's CSV file, streamed (never held whole): csv-parse reads UTF-8 with or without
// BOM, CRLF, LF or CR, quoted fields with commas, quotes and newlines; empty lines are skipped.
// Each row comes with the line it starts on; a row the parser cannot read comes as an error.
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';

/** `spelled`: a column's name as the file spells it, where it differs (`recipient_nos`), so reports name what the operator wrote. */
export type CsvItem = { line: number; fields: Record<string, string>; spelled: Readonly<Record<string, string>> } | { line: number; column?: string; error: string };

/** The columns of the format operators already have (`recepient_nos` is its spelling; `recipient_nos` is accepted too). */
export const CSV_COLUMNS = { message: 'message', recipients: 'recepient_nos', campaign: 'campaign', sendingTime: 'sending_time' } as const;
const ALIASES: Readonly<Record<string, string>> = { recipient_nos: 'recepient_nos' };

export class CsvHeaderError extends Error {}

function headerName(raw: string): string {
  const name = raw.replace(/^\uFEFF/, '').trim().toLowerCase().replace(/\s+/g, '_');
  return ALIASES[name] ?? name;
}

const NEWLINES = /\r\n|\n|\r/g;

/**
 * Yields the data rows (header required: message and recepient_nos/recipient_nos, any order; other
 * columns are kept by name). Throws CsvHeaderError for a missing or unusable header.
 */
export async function* csvRows(input: Readable): AsyncGenerator<CsvItem> {
  const parser = parse({
    bom: true,
    info: true,
    skip_empty_lines: true,
    relax_column_count: true,
    skip_records_with_error: true,
    record_delimiter: ['\r\n', '\n', '\r'],
  });
  const skipped: CsvItem[] = [];
  parser.on('skip', (err: { lines?: number; message: string }) => skipped.push({ line: err.lines ?? 0, error: `unreadable CSV: ${err.message}` }));
  input.on('error', (e) => parser.destroy(e));
  input.pipe(parser);
  let header: string[] | undefined;
  const spelled: Record<string, string> = {};
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      while (skipped.length) yield skipped.shift()!;
      const { record, info } = item;
      const inner = record.reduce((n, f) => n + (f.match(NEWLINES)?.length ?? 0), 0);
      const line = info.lines - inner;
      if (record.every((f) => f.trim() === '')) continue;
      if (!header) {
        header = record.map(headerName);
        record.forEach((raw, i) => {
          const asWritten = raw.replace(/^\uFEFF/, '').trim();
          if (asWritten.toLowerCase().replace(/\s+/g, '_') !== header![i]) spelled[header![i]] = asWritten;
        });
        const missing = [CSV_COLUMNS.message, CSV_COLUMNS.recipients].filter((c) => !header!.includes(c));
        if (missing.length) throw new CsvHeaderError(`line ${line}: the header must name the columns message and recepient_nos (or recipient_nos); missing ${missing.join(', ')}`);
        const twice = header.find((h, i) => h !== '' && header!.indexOf(h) !== i);
        if (twice) throw new CsvHeaderError(`line ${line}: column '${twice}' appears twice in the header`);
        continue;
      }
      if (record.length > header.length && record.slice(header.length).some((f) => f.trim() !== '')) {
        yield { line, error: `has ${record.length} fields; the header has ${header.length}` };
        continue;
      }
      // Bytes that are not UTF-8 (a Windows-1252 "CSV" from Excel) decode to U+FFFD: sending them would mangle every text.
      const garbled = header.findIndex((h, i) => h !== '' && (record[i] ?? '').includes('\uFFFD'));
      if (garbled >= 0) {
        yield { line, column: spelled[header[garbled]] ?? header[garbled], error: 'is not UTF-8 text (the file was saved in another encoding: in Excel use Save As "CSV UTF-8")' };
        continue;
      }
      const fields: Record<string, string> = {};
      header.forEach((h, i) => {
        if (h !== '') fields[h] = record[i] ?? '';
      });
      yield { line, fields, spelled };
    }
    while (skipped.length) yield skipped.shift()!;
  } catch (e) {
    if (e instanceof CsvHeaderError) throw e;
    const err = e as { code?: string; lines?: number; message: string };
    if (!err.code?.startsWith('CSV_')) throw e;
    yield { line: err.lines ?? 0, error: `unreadable CSV: ${err.message}` };
  }
  if (!header) throw new CsvHeaderError('the file is empty: a header line (message, recepient_nos, campaign, sending_time) is required');
}
