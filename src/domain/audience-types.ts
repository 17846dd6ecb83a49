// Who a notification reaches beyond its subscribers, and the rules that decide it (src/domain/rules.ts, audience.ts).

/**
 * Where a recipient is found in an event's data: dotted paths from the event (`data.customer.phone`).
 * `template` names one of the event type's templateSets (absent: its `templates`).
 */
export interface RecipientPath {
  phone?: string;
  email?: string;
  name?: string;
  template?: string;
}

/** A condition on an event's data (JSON Logic over `{ data }`) and what follows when it holds (src/domain/rules.ts). */
export interface Rule {
  /** Unique within the event type; recorded on the notifications it matches. */
  id: string;
  description?: string;
  when: unknown;
  /** `skip`: the notification sends nothing at all. Default `send`. */
  action?: 'send' | 'skip';
  /** The event's own audience (subscribers, explicit and path recipients) gets this template set. */
  template?: string;
  /** Extra recipients taken from the data. */
  recipients?: RecipientPath[];
}

/**
 * Someone a notification reaches who is not a subscribed user: named in the request, found in the
 * data by the event type's recipient paths, or by a rule. Stored normalised (phone in E.164).
 */
export interface NotificationRecipient {
  phone?: string;
  email?: string;
  name?: string;
  /** Merged over the event's data for this recipient's messages. */
  data?: Record<string, unknown>;
  /** A template set of the event type. */
  template?: string;
  /** `request`, `path` or `rule:<rule id>`. */
  via: string;
}

/** What the event type's rules decided when the notification was accepted. */
export interface RuleOutcome {
  /** Ids of the rules whose condition held, in order. */
  matched: string[];
  /** A matched rule said skip: nothing is sent. */
  skip?: boolean;
  /** The template set the event's own audience gets (the first matched rule naming one). */
  template?: string;
}
