// Generated CSV files for the import tests and the bench: every case real operators' files have
// (BOM, CRLF, quoted commas, quotes and newlines, emoji, empty lines, long texts, bad rows), and
// big files written as a stream.
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';

export const KE = (i: number) => `+2547${String(10_000_000 + i).slice(-8)}`;

/** Writes `text` (as given: line endings and BOM included) to dir/name; resolves the path. */
export function writeFixture(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text, 'utf8');
  return file;
}

export const FIXTURES = {
  /** Columns in another order, `recipient_nos` spelling, an extra column (template data), numbers with and without +, national form, a repeat. */
  basic: [
    'campaign,sending_time,recipient_nos,message,name',
    `Term 1,now,"${KE(1)}, ${KE(2).slice(1)}",Hello {{name}} fees are due,Amina`,
    `Term 1,now,0710000003,Hello {{name}} fees are due,Baraka`,
    `Term 1,now,${KE(1)},Hello {{name}} again,Amina`,
    `Clinic,tomorrow,${KE(4)},Your appointment is tomorrow,Chao`,
    '',
  ].join('\n'),
  /** UTF-8 BOM, CRLF, quoted fields with commas, doubled quotes and a newline, emoji, empty lines. */
  messy: '\uFEFF' + [
    'message,recepient_nos,campaign,sending_time',
    `"Hi, it's ""Jane"" 🎉",${KE(10)},Messy,now`,
    '',
    `"Two lines:\r\nsecond line",${KE(11)},Messy,now`,
    '   ',
    `Plain,${KE(12)},Messy,2030-01-31 09:00`,
    '',
  ].join('\r\n'),
  /** One bad number (line 3), one bad time (line 4), one empty message (line 5), one good row. */
  bad: [
    'message,recepient_nos,campaign,sending_time',
    `Good,${KE(20)},Bad file,now`,
    `Bad number,+12,Bad file,now`,
    `Bad time,${KE(21)},Bad file,next week`,
    `,${KE(22)},Bad file,now`,
    '',
  ].join('\n'),
  /** A row older than the validity (48 h): reported expired, not sent. */
  expired: ['message,recepient_nos,campaign,sending_time', `Old news,${KE(30)},Old,2020-01-01 09:00`, `Fresh,${KE(31)},Old,now`, ''].join('\n'),
  /** A 1,000-character text: split into two parts (918 + the rest: 6 + 1 segments). */
  long: ['message,recepient_nos,campaign,sending_time', `${'a'.repeat(1000)},${KE(40)},Long,now`, ''].join('\n'),
  noHeader: [`Hello,${KE(50)},X,now`, ''].join('\n'),
};

/** A big file written as a stream: `rows` rows over `campaigns` campaigns, each row one number (every 50th a repeat). */
export async function writeBigCsv(file: string, rows: number, campaigns = 10, sendingTime = 'now'): Promise<void> {
  const out = fs.createWriteStream(file);
  out.write('message,recepient_nos,campaign,sending_time,name,code\n');
  for (let i = 0; i < rows; i++) {
    const n = i % 50 === 49 ? i - 1 : i;
    if (!out.write(`"Hello {{name}}, your code is {{code}}",${KE(n)},Big ${n % campaigns},${sendingTime},Person ${i},${i}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}
