// `herald send`: posts a notification event (POST /v1/notifications) and prints its id and the
// accepted line; with --wait it follows the notification to the end like `status --watch`.
import fs from 'node:fs';
import { parseIsoTime } from '../domain/time';
import { CliError, type ApiClient } from './client';
import { jsonLine, out } from './output';
import { statusCommand } from './status';

export interface SendOptions {
  program?: string;
  eventType?: string;
  start?: string;
  end?: string;
  data?: string;
  file?: string;
  wait?: boolean;
  json?: boolean;
}

interface Accepted {
  id: string;
  status: string;
  startTime: string;
  endTime?: string;
  validUntil: string;
  warnings?: string[];
}

function readJson(text: string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new CliError(`${what} is not JSON: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CliError(`${what} must be a JSON object`);
  return v as Record<string, unknown>;
}

/** The /v1 body from --file, with the flags on top. */
export function sendBody(o: SendOptions, now = new Date()): Record<string, unknown> {
  let body: Record<string, unknown> = {};
  if (o.file) {
    let text: string;
    try {
      text = fs.readFileSync(o.file, 'utf8');
    } catch (e) {
      throw new CliError(`cannot read ${o.file}: ${(e as Error).message}`);
    }
    body = readJson(text, o.file);
  }
  const data = o.data !== undefined ? readJson(o.data, '--data') : (body.data ?? {});
  const programId = o.program ?? body.programId;
  const eventTypeId = o.eventType ?? body.eventTypeId;
  if (programId === undefined) throw new CliError('--program is required');
  if (eventTypeId === undefined) throw new CliError('--event-type is required');
  const start = o.start ?? (body.startTime as string | undefined);
  const end = o.end ?? (body.endTime as string | undefined);
  if (start !== undefined && !parseIsoTime(start)) throw new CliError('--start must be an ISO 8601 time');
  if (end !== undefined && !parseIsoTime(end)) throw new CliError('--end must be an ISO 8601 time');
  return { ...body, programId, eventTypeId, startTime: start ?? now.toISOString(), ...(end !== undefined ? { endTime: end } : {}), data };
}

/** Resolves the exit code: 0, or with --wait non-zero when a message failed. */
export async function sendCommand(client: ApiClient, o: SendOptions): Promise<number> {
  const a = await client.post<Accepted>('/v1/notifications', sendBody(o));
  if (o.json) jsonLine(a);
  else {
    out(a.id);
    out(`accepted: notification ${a.id} ${a.status}, window ${a.startTime} .. ${a.endTime ?? `(open, valid until ${a.validUntil})`}`);
    for (const w of a.warnings ?? []) out(`warning: ${w}`);
  }
  if (!o.wait) return 0;
  return statusCommand(client, a.id, { limit: 50, watch: true, json: o.json });
}
