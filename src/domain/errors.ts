// Herald's error catalogue: every error a caller can see carries a stable code.

export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'MALFORMED_JSON'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNPROCESSABLE'
  | 'PAYLOAD_TOO_LARGE'
  | 'STORE_UNAVAILABLE'
  | 'BUS_UNAVAILABLE'
  | 'PUBLISH_NOT_CONFIRMED'
  | 'CONFIG_INVALID'
  | 'PROVIDER_ERROR'
  | 'SENDER_THREAD_FAILED'
  | 'INTERNAL';

export interface FieldIssue {
  field: string;
  reason: string;
}

export class HeraldError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends HeraldError {
  constructor(issues: FieldIssue[], message = 'request is invalid') {
    super('VALIDATION_FAILED', message, issues);
  }
}

export class NotFoundError extends HeraldError {
  constructor(what: string, id: string, field?: string) {
    super('NOT_FOUND', `${what} '${id}' not found`, field ? [{ field, reason: `${what} '${id}' does not exist` }] : []);
  }
}

export class ConflictError extends HeraldError {
  constructor(message: string, issues: FieldIssue[] = []) {
    super('CONFLICT', message, issues);
  }
}

/** Well-formed but not acceptable: an end before the start, a window already closed. */
export class UnprocessableError extends HeraldError {
  constructor(issues: FieldIssue[], message = 'request cannot be processed') {
    super('UNPROCESSABLE', message, issues);
  }
}

export class StoreUnavailableError extends HeraldError {
  constructor(message = 'the store is unavailable') {
    super('STORE_UNAVAILABLE', message);
  }
}

export class BusUnavailableError extends HeraldError {
  constructor(message = 'the message bus is unavailable') {
    super('BUS_UNAVAILABLE', message);
  }
}

export class ConfigError extends HeraldError {
  constructor(message: string) {
    super('CONFIG_INVALID', message);
  }
}
