// What a provider is. A provider imports only its SDK and this file.
import type { Channel, MessageStatus } from '../domain/types';

export interface OutboundSms {
  /** Herald's message id (client reference where the provider takes one). */
  messageId: string;
  /** 0-based part index when a long text is sent as several messages. */
  part: number;
  to: string;
  text: string;
  /** The carrier may drop the message after this (validity period). */
  validUntil: Date;
}

export interface OutboundEmail {
  messageId: string;
  to: string;
  subject: string;
  text: string;
  html?: string;
  validUntil: Date;
}

export interface SendResult {
  /** The provider's id for what it accepted; delivery reports refer to it. */
  providerMessageId: string;
  /** Herald's status right after the hand-off: usually `sent`. */
  status: Extract<MessageStatus, 'sent' | 'delivered' | 'queued'>;
  providerStatus?: string;
}

export interface DeliveryReport {
  providerMessageId: string;
  /** Herald's status; absent when the vendor's status is not one it documents (recorded and logged, moves nothing). */
  status?: MessageStatus;
  providerStatus: string;
  errorCode?: string;
  at?: Date;
}

export interface WebhookRequest {
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed body (JSON or url-encoded form). */
  body: unknown;
  rawBody: Buffer;
}

export type ProviderErrorCode =
  | 'TIMEOUT'
  | 'RATE_LIMITED'
  | 'SERVER_ERROR'
  | 'NETWORK'
  | 'AUTH'
  | 'INVALID_RECIPIENT'
  | 'REJECTED'
  | 'BAD_SIGNATURE'
  /** The provider's own configuration cannot work (a URL that cannot be called): not retryable; fail over. */
  | 'CONFIG'
  | 'UNKNOWN';

const RETRYABLE: ReadonlySet<ProviderErrorCode> = new Set(['TIMEOUT', 'RATE_LIMITED', 'SERVER_ERROR', 'NETWORK']);

export class ProviderError extends Error {
  readonly retryable: boolean;
  constructor(
    readonly code: ProviderErrorCode,
    message: string,
    readonly details: { providerCode?: string; httpStatus?: number; retryAfterMs?: number; mayHaveBeenAccepted?: boolean } = {},
  ) {
    super(message);
    this.name = 'ProviderError';
    this.retryable = RETRYABLE.has(code);
  }
}

/** Maps an HTTP status to the error catalogue (for HTTP-API providers). */
export function errorCodeForHttpStatus(status: number): ProviderErrorCode {
  if (status === 429) return 'RATE_LIMITED';
  if (status === 401 || status === 403) return 'AUTH';
  if (status >= 500) return 'SERVER_ERROR';
  return 'REJECTED';
}

interface ProviderBase {
  /** Instance id from configuration, e.g. `twilio-main`. */
  readonly id: string;
  /** Vendor, e.g. `twilio`. */
  readonly type: string;
  readonly channel: Channel;
  /** Maps one delivery-report request; throws ProviderError('BAD_SIGNATURE') when it is not authentic. */
  parseDeliveryReport?(req: WebhookRequest): DeliveryReport[];
  close?(): Promise<void>;
}

export interface SmsProvider extends ProviderBase {
  readonly channel: 'sms';
  send(msg: OutboundSms): Promise<SendResult>;
}

export interface EmailProvider extends ProviderBase {
  readonly channel: 'email';
  send(msg: OutboundEmail): Promise<SendResult>;
}

export type Provider = SmsProvider | EmailProvider;

/** What every provider factory receives besides its own options. */
export interface ProviderContext {
  /** Folder for providers that write files (the outbox). */
  dataDir: string;
  /** Public base URL of Herald, for status callback URLs. */
  publicUrl?: string;
}

export interface ProviderConfig {
  id: string;
  type: string;
  channel: Channel;
  options: Record<string, unknown>;
  /** Initial routing state (the router's, not the provider's): share by weight, messages per second, paused. */
  weight?: number;
  ratePerSecond?: number;
  paused?: boolean;
}

export type ProviderFactory = (cfg: ProviderConfig, ctx: ProviderContext) => Provider;
