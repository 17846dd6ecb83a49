// Terminal output of the client commands: colour only on a terminal without NO_COLOR, a
// progress bar, and the wait for Ctrl+C that ends --follow.
import Table from 'cli-table3';
import { runtimeEnv } from '../config';

/** Colour codes only when stdout is a terminal and NO_COLOR is not set. */
export function colorEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  return stream.isTTY === true && !runtimeEnv().noColor;
}

const CODES = { red: 31, green: 32, yellow: 33, cyan: 36, dim: 2 } as const;
export type Color = keyof typeof CODES;

export function paint(text: string, color: Color | undefined, on = colorEnabled()): string {
  return on && color ? `\x1b[${CODES[color]}m${text}\x1b[0m` : text;
}

export function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function jsonLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** A table without cli-table3's default colours unless colour is on. */
export function table(head: string[]): Table.Table {
  const color = colorEnabled();
  return new Table({ head, style: color ? { head: ['cyan'], border: ['grey'] } : { head: [], border: [] } });
}

/** `[##########----------] 5/10` */
export function progressBar(done: number, total: number, width = 30): string {
  const filled = total > 0 ? Math.round((done / total) * width) : 0;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}`;
}

/** Resolves on Ctrl+C (SIGINT) or SIGTERM: how --follow ends. */
export function untilInterrupted(): { stopped: () => boolean; done: Promise<void> } {
  let stopped = false;
  const done = new Promise<void>((resolve) => {
    const stop = () => {
      stopped = true;
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return { stopped: () => stopped, done };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
