// `sending_time` of a CSV row (and `sendAt` of a campaign): words or a date-time in the workspace's zone.
import { DateTime } from 'luxon';

export interface SendTimeOptions {
  /** IANA zone the words and zone-less date-times are read in. */
  zone: string;
  /** Hour (0-23) at which `today`, `tomorrow`, `yesterday` and a bare date go out. */
  sendHour: number;
  now: Date;
}

export type SendTime = { ok: true; at: Date } | { ok: false; reason: string };

/** Zone-less forms tried in order (ISO 8601 with an offset is read as given). */
const LOCAL_FORMATS = ['yyyy-MM-dd HH:mm', 'yyyy-MM-dd HH:mm:ss', 'yyyy-MM-dd H:mm', 'MM/dd/yyyy HH:mm', 'M/d/yyyy H:mm'];

export const SEND_TIME_WORDS = ['now', 'today', 'tomorrow', 'yesterday'] as const;

/**
 * - blank or `now`: at once;
 * - `today`: today at the send hour, or at once when that hour is past;
 * - `tomorrow` / `yesterday`: that day at the send hour (a past time within the validity goes out at once, an older one expires);
 * - `YYYY-MM-DD HH:mm` (seconds optional), `YYYY-MM-DD` (at the send hour), `MM/DD/YYYY HH:mm`, or ISO 8601; zone-less ones in `zone`.
 */
export function parseSendTime(raw: string | undefined, o: SendTimeOptions): SendTime {
  const text = (raw ?? '').trim();
  const now = DateTime.fromJSDate(o.now, { zone: o.zone });
  const atHour = (d: DateTime) => d.set({ hour: o.sendHour, minute: 0, second: 0, millisecond: 0 });
  switch (text.toLowerCase()) {
    case '':
    case 'now':
      return { ok: true, at: o.now };
    case 'today': {
      const t = atHour(now);
      return { ok: true, at: t < now ? o.now : t.toJSDate() };
    }
    case 'tomorrow':
      return { ok: true, at: atHour(now.plus({ days: 1 })).toJSDate() };
    case 'yesterday':
      return { ok: true, at: atHour(now.minus({ days: 1 })).toJSDate() };
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const d = DateTime.fromISO(text, { zone: o.zone });
    if (d.isValid) return { ok: true, at: atHour(d).toJSDate() };
  }
  for (const f of LOCAL_FORMATS) {
    const d = DateTime.fromFormat(text, f, { zone: o.zone });
    if (d.isValid) return { ok: true, at: d.toJSDate() };
  }
  const iso = DateTime.fromISO(text, { zone: o.zone, setZone: true });
  if (iso.isValid) return { ok: true, at: iso.toJSDate() };
  return { ok: false, reason: `'${text}' is not a sending time: use now, today, tomorrow, yesterday, YYYY-MM-DD HH:mm or ISO 8601` };
}

/** A send time older than the validity window: reported as expired, never sent. */
export function isTooOld(at: Date, validityHours: number, now: Date): boolean {
  return at.getTime() + validityHours * 3_600_000 <= now.getTime();
}
