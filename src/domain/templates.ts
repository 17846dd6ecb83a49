// Message text from an event type's templates (handlebars), with dates in the user's zone and locale.
import Handlebars from 'handlebars';
import { DateTime, IANAZone } from 'luxon';
import { UnprocessableError, type FieldIssue } from './errors';
import type { Channel, Templates } from './types';

export interface TemplateContext {
  user: { id: string; name: string; phone?: string; email?: string; locale?: string; timezone?: string };
  program: { id: string; name: string };
  eventType: { id: string; name: string };
  data: Record<string, unknown>;
  window: { start: Date; end?: Date; validUntil: Date };
}

export interface RenderedMessage {
  text: string;
  subject?: string;
  html?: string;
}

/** Used when an event type has no template for a channel. */
export const DEFAULT_TEMPLATES: Required<Pick<Templates, 'sms'>> & { email: { subject: string; text: string } } = {
  sms: { text: '{{program.name}}: {{eventType.name}} at {{window.startLocal}}' },
  email: {
    subject: '{{program.name}}: {{eventType.name}}',
    text:
      'Hello {{user.name}},\n\n{{eventType.name}} ({{program.name}}) starts {{window.startLocal}}' +
      '{{#if window.endLocal}} and ends {{window.endLocal}}{{/if}}.',
  },
};

export const DEFAULT_DATE_FORMAT = 'yyyy-MM-dd HH:mm';
/** Format of the precomputed `window.startLocal` / `endLocal` / `validUntilLocal`, e.g. `2019-08-28 00:04 GMT+3`. */
export const LOCAL_WINDOW_FORMAT = 'yyyy-MM-dd HH:mm ZZZZ';

const hb = Handlebars.create();
// `log` writes to the console: unknown under knownHelpersOnly, so templates using it fail compileCheck.
hb.unregisterHelper('log');
const KNOWN_HELPERS = { formatDate: true, log: false } as const;
const BASE_OPTIONS = { knownHelpers: KNOWN_HELPERS, knownHelpersOnly: true } as const;

type Mode = 'text' | 'html';
const MAX_CACHED = 1000;
const cache = new Map<string, HandlebarsTemplateDelegate>();

function compiled(source: string, mode: Mode): HandlebarsTemplateDelegate {
  const key = `${mode}\u0000${source}`;
  let fn = cache.get(key);
  if (!fn) {
    // SMS and plain text are not HTML: `&` must stay `&`. HTML bodies escape their values.
    fn = hb.compile(source, { ...BASE_OPTIONS, noEscape: mode === 'text' });
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
    cache.set(key, fn);
  }
  return fn;
}

/** A map that forgets everything past `max` entries: memo for per-message work whose inputs repeat. */
function memo<V>(max: number): { get(k: string, make: () => V): V } {
  const m = new Map<string, V>();
  return {
    get(k, make) {
      let v = m.get(k);
      if (v === undefined) {
        if (m.size >= max) m.clear();
        v = make();
        m.set(k, v);
      }
      return v;
    },
  };
}

const zones = memo<string>(1000);
const locales = memo<string>(1000);

function safeZone(zone: string | undefined): string {
  if (!zone) return 'UTC';
  return zones.get(zone, () => (IANAZone.isValidZone(zone) ? zone : 'UTC'));
}

function safeLocale(locale: string | undefined): string {
  if (!locale) return 'en';
  return locales.get(locale, () => {
    try {
      return Intl.DateTimeFormat.supportedLocalesOf([locale]).length ? locale : 'en';
    } catch {
      return 'en';
    }
  });
}

function toDateTime(value: unknown): DateTime | null {
  if (value instanceof Date) return DateTime.fromJSDate(value);
  if (typeof value === 'number') return DateTime.fromMillis(value);
  if (typeof value === 'string') return DateTime.fromISO(value, { setZone: false });
  return null;
}

/** Every message of a fan-out formats the same window dates in few zones and locales: formatted once each. */
const formatted = memo<string>(5000);

function formatIn(value: unknown, format: string, zone: string, locale: string): string {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : undefined;
  const make = (): string => {
    const dt = toDateTime(value);
    if (!dt || !dt.isValid) return '';
    return dt.setZone(zone).setLocale(locale).toFormat(format);
  };
  return ms === undefined || Number.isNaN(ms) ? make() : formatted.get(`${ms}|${zone}|${locale}|${format}`, make);
}

interface HelperOptions {
  hash: Record<string, unknown>;
  data: { root?: { user?: { timezone?: string; locale?: string } } };
}

// {{formatDate value "format" zone="..." locale="..."}}: defaults to the user's zone and locale.
hb.registerHelper('formatDate', function formatDate(...args: unknown[]): string {
  const options = args.pop() as HelperOptions;
  const [value, format] = args;
  const user = options.data.root?.user ?? {};
  const zone = safeZone((options.hash.zone as string | undefined) ?? user.timezone);
  const locale = safeLocale((options.hash.locale as string | undefined) ?? user.locale);
  return formatIn(value, typeof format === 'string' ? format : DEFAULT_DATE_FORMAT, zone, locale);
});

/**
 * The window a template sees: its dates, and their local times formatted when a template reads them (most templates
 * name none, and each notification's window is new: eager formats would cost ~3 luxon calls a notification). The
 * local times are getters of the class, which Handlebars reads because render() allows exactly these names on a
 * prototype. Not object-literal getters (new closures at each call: V8 makes each such object a hidden class of its
 * own in the old generation, holding the closures and the whole context until the next full collection), nor
 * Object.defineProperty accessors (an accessor pair allocated in the old generation each: ~440 bytes a view).
 */
class WindowView {
  readonly start: Date;
  readonly end: Date | undefined;
  readonly validUntil: Date;
  readonly #zone: string;
  readonly #locale: string;

  constructor(w: TemplateContext['window'], zone: string, locale: string) {
    this.start = w.start;
    this.end = w.end;
    this.validUntil = w.validUntil;
    this.#zone = zone;
    this.#locale = locale;
  }

  #local(d: Date | undefined): string | undefined {
    return d ? formatIn(d, LOCAL_WINDOW_FORMAT, this.#zone, this.#locale) : undefined;
  }

  get startLocal(): string | undefined {
    return this.#local(this.start);
  }

  get endLocal(): string | undefined {
    return this.#local(this.end);
  }

  get validUntilLocal(): string | undefined {
    return this.#local(this.validUntil);
  }
}

/** Handlebars reads only own properties unless told: the window's local times are the class's getters. */
const RUNTIME_OPTIONS: Handlebars.RuntimeOptions = { allowedProtoProperties: { startLocal: true, endLocal: true, validUntilLocal: true } };

function viewOf(ctx: TemplateContext) {
  return { ...ctx, window: new WindowView(ctx.window, safeZone(ctx.user.timezone), safeLocale(ctx.user.locale)) };
}

function render(source: string, mode: Mode, view: object, field: string): string {
  try {
    return compiled(source, mode)(view, RUNTIME_OPTIONS);
  } catch (err) {
    throw new UnprocessableError([{ field, reason: describe(err) }], `template ${field} cannot be rendered`);
  }
}

/**
 * Renders the channel's template (or the default one) for one user. Text is trimmed; a subject
 * is kept on one line. Throws UnprocessableError (field `templates.<channel>.<part>`) when a
 * stored template does not compile.
 */
export function renderMessage(templates: Templates, channel: Channel, ctx: TemplateContext): RenderedMessage {
  const view = viewOf(ctx);
  if (channel === 'sms') {
    const t = templates.sms ?? DEFAULT_TEMPLATES.sms;
    return { text: render(t.text, 'text', view, 'templates.sms.text').trim() };
  }
  const t = templates.email ?? DEFAULT_TEMPLATES.email;
  const out: RenderedMessage = {
    subject: render(t.subject, 'text', view, 'templates.email.subject').replace(/\s+/g, ' ').trim(),
    text: render(t.text, 'text', view, 'templates.email.text').trim(),
  };
  const html = templates.email?.html;
  if (html) out.html = render(html, 'html', view, 'templates.email.html');
  return out;
}

function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

/** Null when `template` compiles; otherwise an issue on `field` with the parser's message on one line. */
export function compileCheck(template: string, field = 'template'): FieldIssue | null {
  try {
    hb.precompile(template, BASE_OPTIONS);
    return null;
  } catch (err) {
    return { field, reason: `invalid template: ${describe(err)}` };
  }
}

/** Every issue in an event type's templates, with fields such as `templates.email.subject`. */
export function checkTemplates(templates: Templates): FieldIssue[] {
  const sources: Array<[string, string | undefined]> = [
    ['templates.sms.text', templates.sms?.text],
    ['templates.email.subject', templates.email?.subject],
    ['templates.email.text', templates.email?.text],
    ['templates.email.html', templates.email?.html],
  ];
  return sources.flatMap(([field, src]) => {
    const issue = src === undefined ? null : compileCheck(src, field);
    return issue ? [issue] : [];
  });
}

/** A plain-text template (a campaign's message) over any view: trimmed; UnprocessableError on `field` when it cannot render. */
export function renderPlainText(source: string, view: object, field = 'message'): string {
  return render(source, 'text', view, field).trim();
}
