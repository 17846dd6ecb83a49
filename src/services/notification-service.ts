// Use cases behind the HTTP API, the RabbitMQ intake and the CLI: accept, close, cancel, report.
import type { RecipientInput } from '../domain/recipients';
import type { Channel, Message, MessageStatus, Notification, NotificationSource, Page, PageQuery } from '../domain/types';

/** A validated notification request, whatever door it came through. */
export interface NotificationRequest {
  /** The workspace it is posted in: its program, event type and subscribers are that workspace's. */
  workspaceId: string;
  programId: string;
  eventTypeId: string;
  startTime: Date;
  endTime?: Date;
  data: Record<string, unknown>;
  /** Recipients besides the subscribers (at most MAX_RECIPIENTS); phones normalised with phone.defaultRegion. */
  recipients?: RecipientInput[];
  /** false: only the recipients are reached, not the program's subscribers (default true). */
  subscribers?: boolean;
  source: NotificationSource;
  idempotencyKey?: string;
  /** Who is asking (X-Client-Id, an AMQP app_id): Idempotency-Keys are scoped per client. */
  clientId?: string;
  /** Legacy POST / only: re-anchor a window that closed before it arrived instead of refusing it. */
  reanchorPastWindow?: boolean;
}

export interface NotificationSummary extends Notification {
  counts: Partial<Record<MessageStatus, number>>;
  total: number;
}

export interface NotificationService {
  /**
   * Validates against the store (program and event type exist: UnprocessableError with field
   * `programId` / `eventTypeId`; window: UnprocessableError), stores durably, then queues
   * dispatch when due. Resolves once stored; a failed publish is retried by the relay.
   */
  accept(req: NotificationRequest): Promise<Notification>;
  /** The rest act in workspace `ws`: a notification of another workspace is not found, exactly like a missing one. */
  get(ws: string, id: string): Promise<NotificationSummary | null>;
  list(ws: string, filter: { programId?: string; status?: Notification['status'] }, q: PageQuery): Promise<Page<Notification>>;
  messages(ws: string, id: string, filter: { status?: MessageStatus; channel?: Channel }, q: PageQuery): Promise<Page<Message>>;
  /** Closes an open window (or moves a closed one's end). UnprocessableError if end <= start or already past. */
  close(ws: string, id: string, endTime: Date): Promise<Notification>;
  /** Cancels everything not yet handed to a provider. Resolves the summary after cancelling. */
  cancel(ws: string, id: string): Promise<NotificationSummary>;
}
