// A campaign recipient becomes a message of the ordinary pipeline: deterministic id, the
// campaign's id as notificationId and campaignId, the contact as userId.
import { campaignMessageId, type Campaign, type CampaignRecipient } from '../../domain/campaigns';
import { isBlankText, smsInfo, type SmsOptions } from '../../domain/sms';
import type { NewMessage } from '../../store/store';

export function buildCampaignMessage(c: Campaign, r: CampaignRecipient, sms: SmsOptions, at: Date): NewMessage {
  const blank = isBlankText(r.text);
  const status = blank ? 'rejected' : 'accepted';
  return {
    id: campaignMessageId(c.id, r.contactId),
    workspaceId: c.workspaceId,
    notificationId: c.id,
    campaignId: c.id,
    programId: '',
    eventTypeId: '',
    userId: r.contactId,
    channel: 'sms',
    to: r.to,
    content: { text: r.text },
    sms: smsInfo(r.text, sms),
    status,
    statusHistory: [{ status, at, ...(blank ? { reason: 'empty_text' } : {}) }],
    validUntil: c.validUntil ?? new Date(at.getTime() + c.validityHours * 3_600_000),
    attempts: 0,
    ...(blank ? { error: { code: 'EMPTY_TEXT', message: 'the SMS text is empty or only whitespace; nothing was sent' } } : {}),
  };
}
