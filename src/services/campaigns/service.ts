// Campaigns as the API (and the dashboard) see them: create with recipients, list, read with
// counts, run, pause, resume, cancel, their messages and what they will cost.
import { randomUUID } from 'node:crypto';
import type { HeraldConfig } from '../../config';
import { isTooOld } from '../../domain/campaign-time';
import { contactIdOf, type Campaign, type CampaignCounts, type CampaignStatus } from '../../domain/campaigns';
import { toE164 } from '../../domain/contact';
import { toCredits } from '../../domain/credits';
import { ConflictError, NotFoundError, UnprocessableError, type FieldIssue } from '../../domain/errors';
import { smsInfo } from '../../domain/sms';
import { compileCheck, renderPlainText } from '../../domain/templates';
import type { Message, Page, PageQuery } from '../../domain/types';
import type { MessageFilter, Store } from '../../store/store';
import { pricesOf } from '../credits/pricing';
import type { Lifecycle } from './lifecycle';
import { resolveProviderName, type ProviderRef } from './providers';

export interface CampaignServiceDeps {
  store: Store;
  config: Pick<HeraldConfig, 'validityHours' | 'sms' | 'credits' | 'phone'>;
  lifecycle: Lifecycle;
  /** The SMS provider instances configured (for `provider` names and their aliases). */
  providers: readonly ProviderRef[];
  now?: () => Date;
}

export interface RecipientInput {
  phone: string;
  name?: string;
  data?: Record<string, unknown>;
}

export interface CreateCampaign {
  name: string;
  message: string;
  recipients?: RecipientInput[];
  /** Also every user with a phone subscribed by SMS to this program (to this event type of it, when given). */
  programId?: string;
  eventTypeId?: string;
  /** Every member of this contact list of the workspace (422 naming contactListId when it has none such). */
  contactListId?: string;
  sendAt?: Date;
  provider?: string;
  strictProvider?: boolean;
  validityHours?: number;
}

export interface CampaignView extends Campaign {
  /** Messages per status, and `unsent`: recipients with no message yet (not reached, or paused for credit). */
  counts: CampaignCounts;
  /** Carrier segments handed to providers. */
  segments: number;
  /** Credits its messages were charged, less refunds (messages that ended unsent); 0 when unmetered. */
  creditsSpent: number;
}

export interface CampaignEstimate {
  messages: number;
  segments: number;
  credits: number;
  /** The workspace balance now; null when unmetered. */
  balance: number | null;
  /** Whether the balance covers the whole campaign. */
  covered: boolean;
}

const PLAN_BATCH = 1000;

/** The view a campaign's message text is rendered with: the recipient's columns, name and phone. */
export function recipientView(phone: string, name: string | undefined, data: Record<string, unknown> | undefined): Record<string, unknown> {
  return { ...(data ?? {}), phone, name: name ?? data?.name ?? '', contact: { phone, name } };
}

export function createCampaignService(deps: CampaignServiceDeps) {
  const { store, config, lifecycle } = deps;
  const now = deps.now ?? (() => new Date());

  async function own(ws: string, id: string): Promise<Campaign> {
    const c = await store.campaigns.get(id);
    if (!c || c.workspaceId !== ws) throw new NotFoundError('campaign', id);
    return c;
  }

  /** The provider instance a name stands for; 422 naming `field` when none is configured. */
  function provider(name: string | undefined, field = 'provider'): string | undefined {
    if (name === undefined) return undefined;
    const id = resolveProviderName(name, deps.providers);
    if (!id) throw new UnprocessableError([{ field, reason: `no SMS provider '${name}' is configured (known: ${deps.providers.map((p) => p.id).join(', ') || 'none'})` }]);
    return id;
  }

  /** The program's users with a phone who take SMS from it (or from that event type of it); 422 naming an unknown id. */
  async function programRecipients(ws: string, programId: string, eventTypeId?: string): Promise<Array<{ phone: string; name?: string }>> {
    if (!(await store.programs.get(ws, programId))) throw new UnprocessableError([{ field: 'programId', reason: `program '${programId}' does not exist` }]);
    const out: Array<{ phone: string; name?: string }> = [];
    if (eventTypeId !== undefined) {
      if (!(await store.eventTypes.get(ws, programId, eventTypeId))) throw new UnprocessableError([{ field: 'eventTypeId', reason: `event type '${eventTypeId}' does not exist in program '${programId}'` }]);
      for await (const batch of store.subscriptions.subscriberBatches(ws, programId, eventTypeId, undefined, PLAN_BATCH)) {
        for (const s of batch) if (s.channels.includes('sms') && s.user.phone) out.push({ phone: s.user.phone, name: s.user.name });
      }
      return out;
    }
    const userIds = new Set<string>();
    for (let offset = 0; ; offset += PLAN_BATCH) {
      const page = await store.subscriptions.list(ws, { programId }, { limit: PLAN_BATCH, offset });
      for (const sub of page.items) if (sub.channels.includes('sms')) userIds.add(sub.userId);
      if (page.items.length < PLAN_BATCH) break;
    }
    for (const id of userIds) {
      const u = await store.users.get(ws, id);
      if (u?.phone) out.push({ phone: u.phone, name: u.name });
    }
    return out;
  }

  function refused(c: Campaign, action: string, allowed: CampaignStatus[]): never {
    throw new ConflictError(`campaign '${c.id}' is ${c.status}; only a ${allowed.join(' or ')} campaign can be ${action}`, [{ field: 'status', reason: `is ${c.status}` }]);
  }

  async function view(c: Campaign): Promise<CampaignView> {
    const counts: CampaignCounts = { ...(await store.messages.countByStatus(c.id)) };
    const unsent = Math.max(0, c.recipients - c.run.messages);
    if (c.status === 'cancelled') counts.cancelled = (counts.cancelled ?? 0) + unsent;
    else counts.unsent = unsent;
    const hours = await store.usage.hourly({ workspaceId: c.workspaceId, dimension: 'campaign', key: c.id, from: new Date(c.createdAt.getTime() - 3_600_000), to: new Date(now().getTime() + 3_600_000) });
    const segments = hours.reduce((n, h) => n + h.counts.segments, 0);
    // What its messages were charged, less what their refunds gave back (0 in an unmetered workspace).
    const spent = hours.reduce((n, h) => n + h.counts.creditsCharged - h.counts.creditsRefunded, 0);
    return { ...c, counts, segments, creditsSpent: toCredits(spent) };
  }

  return {
    view,
    get: async (ws: string, id: string) => view(await own(ws, id)),
    list: (ws: string, filter: { status?: CampaignStatus; dueBefore?: Date }, q: PageQuery) => store.campaigns.list(ws, filter, q),

    async create(ws: string, req: CreateCampaign): Promise<CampaignView> {
      const issues: FieldIssue[] = [];
      const check = compileCheck(req.message, 'message');
      if (check) issues.push(check);
      const recipients = new Map<string, { phone: string; text: string; name?: string; data?: Record<string, unknown> }>();
      (req.recipients ?? []).forEach((r, i) => {
        const phone = toE164(r.phone, config.phone.defaultRegion) ?? (/^\d{8,15}$/.test(r.phone.trim()) ? toE164(`+${r.phone.trim()}`) : undefined);
        if (!phone) return void issues.push({ field: `recipients[${i}].phone`, reason: `'${r.phone}' is not a valid phone number` });
        if (!check && !recipients.has(phone)) recipients.set(phone, { phone, name: r.name, data: r.data, text: renderPlainText(req.message, recipientView(phone, r.name, r.data)) });
      });
      const providerId = provider(req.provider);
      const validity = req.validityHours ?? config.validityHours;
      if (req.sendAt && isTooOld(req.sendAt, validity, now())) issues.push({ field: 'sendAt', reason: `is older than the validity (${validity} h): nothing would be sent` });
      if (issues.length) throw new UnprocessableError(issues);
      if (req.programId !== undefined) {
        for (const u of await programRecipients(ws, req.programId, req.eventTypeId)) {
          if (!recipients.has(u.phone)) recipients.set(u.phone, { ...u, text: renderPlainText(req.message, recipientView(u.phone, u.name, undefined)) });
        }
      }
      if (req.contactListId !== undefined) {
        if (!(await store.contactLists.get(ws, req.contactListId))) throw new UnprocessableError([{ field: 'contactListId', reason: `contact list '${req.contactListId}' does not exist` }]);
        for (let after: string | undefined; ; ) {
          const batch = await store.contactLists.membersAfter(ws, req.contactListId, after, PLAN_BATCH);
          if (batch.length === 0) break;
          for (const m of batch) if (!recipients.has(m.phone)) recipients.set(m.phone, { phone: m.phone, name: m.name, data: m.data, text: renderPlainText(req.message, recipientView(m.phone, m.name, m.data)) });
          after = batch[batch.length - 1].id;
        }
      }
      const source = req.contactListId !== undefined ? 'contactListId' : req.programId !== undefined ? 'programId' : 'recipients';
      if (recipients.size === 0) throw new UnprocessableError([{ field: source, reason: 'gives no recipient with a phone number' }]);
      if (await store.campaigns.getByName(ws, req.name)) throw new ConflictError(`campaign '${req.name}' already exists`, [{ field: 'name', reason: 'is already taken' }]);
      const c = await store.campaigns.create({
        workspaceId: ws, id: randomUUID(), name: req.name, channel: 'sms', message: req.message, status: req.sendAt ? 'scheduled' : 'draft',
        validityHours: req.validityHours ?? config.validityHours, recipients: 0, run: { messages: 0 },
        ...(req.sendAt ? { sendAt: req.sendAt } : {}), ...(providerId ? { provider: providerId } : {}), ...(req.strictProvider ? { strictProvider: true } : {}),
      });
      const list = [...recipients.values()];
      let added = 0;
      for (let i = 0; i < list.length; i += PLAN_BATCH) {
        const part = list.slice(i, i + PLAN_BATCH);
        await store.campaigns.addContacts(ws, part.map((r) => ({ id: contactIdOf(r.phone), phone: r.phone, ...(r.name ? { name: r.name } : {}) })));
        added += await store.campaigns.addRecipients(part.map((r) => ({ campaignId: c.id, contactId: contactIdOf(r.phone), to: r.phone, text: r.text })));
      }
      return view((await store.campaigns.update(c.id, { recipients: added })) ?? c);
    },

    async run(ws: string, id: string, opts: { provider?: string; strictProvider?: boolean } = {}): Promise<CampaignView> {
      const c = await own(ws, id);
      if (c.status === 'paused') {
        // A run of a paused campaign resumes it, through the provider it names from now on.
        if (opts.provider) await store.campaigns.update(c.id, { provider: provider(opts.provider), ...(opts.strictProvider !== undefined ? { strictProvider: opts.strictProvider } : {}) });
        return view((await lifecycle.resume(c)) ?? (await own(ws, id)));
      }
      if (!['draft', 'scheduled'].includes(c.status)) refused(c, 'run', ['draft', 'scheduled']);
      const started = await lifecycle.start(c, { provider: provider(opts.provider), strictProvider: opts.strictProvider });
      return view(started ?? (await own(ws, id)));
    },
    async pause(ws: string, id: string): Promise<CampaignView> {
      const c = await own(ws, id);
      if (c.status === 'paused') return view(c);
      return view((await lifecycle.pause(c)) ?? refused(c, 'paused', ['running', 'scheduled']));
    },
    async resume(ws: string, id: string): Promise<CampaignView> {
      const c = await own(ws, id);
      if (c.status === 'running') return view(c);
      return view((await lifecycle.resume(c)) ?? refused(c, 'resumed', ['paused']));
    },
    async cancel(ws: string, id: string): Promise<CampaignView> {
      const c = await own(ws, id);
      if (c.status === 'cancelled') return view(c);
      return view((await lifecycle.cancel(c)) ?? refused(c, 'cancelled', ['draft', 'scheduled', 'running', 'paused']));
    },
    async messages(ws: string, id: string, filter: MessageFilter, q: PageQuery): Promise<Page<Message>> {
      await own(ws, id);
      return store.messages.list(id, filter, q);
    },

    /** Messages, segments and credits of every planned recipient, before (or while) it runs. */
    async estimate(ws: string, id: string): Promise<CampaignEstimate> {
      const c = await own(ws, id);
      let messages = 0;
      let segments = 0;
      let after: string | undefined;
      for (;;) {
        const batch = await store.campaigns.recipientsAfter(c.id, after, PLAN_BATCH);
        if (batch.length === 0) break;
        for (const r of batch) segments += smsInfo(r.text, config.sms).segments;
        messages += batch.length;
        after = batch[batch.length - 1].contactId;
      }
      const acc = await store.credits.get(ws);
      const credits = toCredits(segments * pricesOf(acc, config).smsSegment);
      const balance = acc && acc.balance !== null ? toCredits(acc.balance) : null;
      return { messages, segments, credits, balance, covered: balance === null || balance >= credits };
    },
  };
}

export type CampaignService = ReturnType<typeof createCampaignService>;
