// One CSV row checked and planned: its numbers in E.164, its text rendered per number (the extra
// columns are the template's data), its sending time. Pure: both passes of an import plan a row
// the same way, so the one that writes does exactly what the one that checked reported.
import type { HeraldConfig } from '../../config';
import type { RejectedRow } from '../../domain/campaigns';
import { isTooOld, parseSendTime, type SendTime } from '../../domain/campaign-time';
import { toE164 } from '../../domain/contact';
import { HeraldError } from '../../domain/errors';
import { smsInfo } from '../../domain/sms';
import { renderPlainText } from '../../domain/templates';
import { CSV_COLUMNS } from './csv-rows';
import { recipientView } from './service';

export interface PlannedMessage {
  phone: string;
  text: string;
  segments: number;
}

export type RowPlan =
  | { kind: 'row'; line: number; campaign: string; message: string; sendAt: Date; name?: string; messages: PlannedMessage[] }
  | { kind: 'expired'; line: number; sendAt: Date }
  | ({ kind: 'rejected' } & RejectedRow);

export interface PlanContext {
  config: Pick<HeraldConfig, 'phone' | 'sms' | 'campaigns' | 'validityHours'>;
  now: Date;
  /** Campaign of rows when the file has no campaign column. */
  defaultCampaign: string;
  /** Sending times already read in this import (files repeat a few values over many rows). */
  times?: Map<string, SendTime>;
}

const KNOWN = new Set<string>(Object.values(CSV_COLUMNS));
const SIMPLE_PLACEHOLDER = /\{\{\s*([A-Za-z_]\w*)\s*\}\}/g;
const MAX_CACHED_TIMES = 10_000;

/**
 * The row's text for one number. Plain `{{column}}` placeholders are filled directly (the same
 * result handlebars gives, without compiling a template per distinct row text); anything else
 * (helpers, paths, blocks) goes through handlebars.
 */
function render(message: string, view: Record<string, unknown>): string {
  const rest = message.replace(SIMPLE_PLACEHOLDER, '');
  if (!rest.includes('{{') && !rest.includes('}}') && !rest.includes('\\')) {
    return message.replace(SIMPLE_PLACEHOLDER, (_m, k: string) => (view[k] === undefined || view[k] === null ? '' : String(view[k]))).trim();
  }
  return renderPlainText(message, view, CSV_COLUMNS.message);
}

function sendTimeOf(raw: string | undefined, ctx: PlanContext): SendTime {
  const key = raw ?? '';
  const hit = ctx.times?.get(key);
  if (hit) return hit;
  const { campaigns } = ctx.config;
  const t = parseSendTime(raw, { zone: campaigns.timezone, sendHour: campaigns.sendHour, now: ctx.now });
  if (ctx.times && ctx.times.size < MAX_CACHED_TIMES) ctx.times.set(key, t);
  return t;
}
const MAX_NAME = 200;

/** A number as typed: international with or without `+`, or national in the default region. */
export function normaliseNumber(raw: string, region: string | undefined): string | undefined {
  const text = raw.trim();
  const direct = toE164(text, region);
  if (direct) return direct;
  const digits = text.replace(/[\s\-().]/g, '');
  return /^\d{8,15}$/.test(digits) ? toE164(`+${digits}`) : undefined;
}

export function planRow(line: number, fields: Record<string, string>, ctx: PlanContext): RowPlan {
  const { config } = ctx;
  const reject = (column: string, reason: string): RowPlan => ({ kind: 'rejected', line, column, reason });
  const message = fields[CSV_COLUMNS.message] ?? '';
  if (message.trim() === '') return reject(CSV_COLUMNS.message, 'is empty');
  const campaign = CSV_COLUMNS.campaign in fields ? fields[CSV_COLUMNS.campaign].trim() : ctx.defaultCampaign;
  if (campaign === '') return reject(CSV_COLUMNS.campaign, 'is empty: name the campaign the row belongs to');
  if (campaign.length > MAX_NAME) return reject(CSV_COLUMNS.campaign, `is longer than ${MAX_NAME} characters`);
  const when = sendTimeOf(fields[CSV_COLUMNS.sendingTime], ctx);
  if (!when.ok) return reject(CSV_COLUMNS.sendingTime, when.reason);
  const raw = (fields[CSV_COLUMNS.recipients] ?? '').split(/[,;]/).map((s) => s.trim()).filter((s) => s !== '');
  if (raw.length === 0) return reject(CSV_COLUMNS.recipients, 'is empty');
  const phones: string[] = [];
  for (const r of raw) {
    const phone = normaliseNumber(r, config.phone.defaultRegion);
    if (!phone) return reject(CSV_COLUMNS.recipients, `'${r}' is not a valid phone number${config.phone.defaultRegion ? '' : ' (international form with its country code: no default region is set)'}`);
    phones.push(phone);
  }
  if (isTooOld(when.at, config.validityHours, ctx.now)) return { kind: 'expired', line, sendAt: when.at };
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) if (!KNOWN.has(k)) data[k] = v;
  const constant = !message.includes('{{');
  // A placeholder naming no column (a typo, {{nmae}}) would render empty in every text: refuse the row.
  for (const [, k] of constant ? [] : message.matchAll(SIMPLE_PLACEHOLDER)) {
    if (!(k in data) && k !== 'phone' && k !== 'name') return reject(CSV_COLUMNS.message, `{{${k}}} names no column of the file (template data: ${Object.keys(data).join(', ') || 'none'}, phone, name)`);
  }
  let shared: PlannedMessage | undefined;
  const messages: PlannedMessage[] = [];
  for (const phone of [...new Set(phones)]) {
    let text: string;
    try {
      text = constant ? message.trim() : render(message, recipientView(phone, data.name, data));
    } catch (e) {
      return reject(CSV_COLUMNS.message, e instanceof HeraldError ? (e.issues[0]?.reason ?? e.message) : (e as Error).message);
    }
    if (constant && shared) {
      messages.push({ ...shared, phone });
      continue;
    }
    const info = smsInfo(text, config.sms);
    if (info.parts.length === 0) return reject(CSV_COLUMNS.message, 'renders empty');
    if (info.parts.length > 1 && config.campaigns.longMessages === 'refuse') {
      return reject(CSV_COLUMNS.message, `is longer than the maximum SMS length (${config.sms.maxLength} characters); shorten it or set campaigns.longMessages to split`);
    }
    shared = { phone, text, segments: info.segments };
    messages.push(shared);
  }
  return { kind: 'row', line, campaign, message, sendAt: when.at, ...(data.name ? { name: data.name } : {}), messages };
}
