// One attempt's provider calls: each part not yet accepted, in order, each right after its send
// slot; the provider ids of the parts accepted so far are recorded between parts.
import { isExpired } from '../domain/window';
import type { Message } from '../domain/types';
import { ProviderError, type Provider, type SendResult } from '../providers/types';
import type { Store } from '../store/store';
import { NoSendSlot } from './attempt-failure';
import type { ProviderRouter } from './router';

/** Takes the provider's next send slot right before a call (one with a rate: see `router.slotNow`): none in time puts the message back. */
async function slot(router: ProviderRouter, provider: Provider, part: number, parts: number): Promise<void> {
  const got = await router.reserveSlot(provider.id);
  if (!got.ok) throw new NoSendSlot(provider.id, part, parts, got.retryInMs);
}

type SendDeps = { store: Store; router: ProviderRouter; now: () => Date };

/**
 * Sends every part not yet accepted, in order, recording each provider id as it comes back. An SMS of one
 * part whose send slot is free (most messages) is the provider's own call: no async layer of its own.
 */
export function sendParts(m: Message, provider: Provider, deps: SendDeps): Promise<SendResult> {
  if (provider.channel === 'sms' && !m.providerMessageIds?.length) {
    const parts = m.sms?.parts;
    const single = parts === undefined || parts.length <= 1;
    if (single && !isExpired(m.validUntil, deps.now()) && deps.router.slotNow(provider.id)) {
      return provider.send({ messageId: m.id, part: 0, to: m.to, text: parts?.length ? parts[0] : m.content.text, validUntil: m.validUntil });
    }
  }
  return sendEachPart(m, provider, deps);
}

async function sendEachPart(m: Message, provider: Provider, deps: SendDeps): Promise<SendResult> {
  const { store, router, now } = deps;
  if (provider.channel === 'email') {
    if (!router.slotNow(provider.id)) await slot(router, provider, 0, 1);
    return provider.send({
      messageId: m.id,
      to: m.to,
      subject: m.content.subject ?? '',
      text: m.content.text,
      html: m.content.html,
      validUntil: m.validUntil,
    });
  }
  const parts = m.sms?.parts.length ? m.sms.parts : [m.content.text];
  // The parts' provider ids, made only for a message of several parts (most have one).
  let ids: string[] | undefined = m.providerMessageIds?.length ? [...m.providerMessageIds] : undefined;
  let last: SendResult | undefined;
  for (let i = ids?.length ?? 0; i < parts.length; i++) {
    if (isExpired(m.validUntil, now())) throw new ProviderError('REJECTED', `validity elapsed after part ${i} of ${parts.length}`);
    // No rate to keep (the usual case): the slot is taken here, without a promise to wait for.
    if (!router.slotNow(provider.id)) await slot(router, provider, i, parts.length);
    last = await provider.send({ messageId: m.id, part: i, to: m.to, text: parts[i], validUntil: m.validUntil });
    // One part, sent now: its answer is the attempt's (no id list to join).
    if (parts.length === 1) return last;
    (ids ??= []).push(last.providerMessageId);
    if (i < parts.length - 1) {
      await store.messages.transition(m.id, ['sending'], 'sending', {
        patch: { providerMessageIds: ids, provider: provider.id },
        reason: `part ${i + 1} of ${parts.length} accepted`,
      });
    }
  }
  return { ...(last as SendResult), providerMessageId: ids!.join(',') };
}
