// Errors the message bus raises; each carries a stable code from the domain catalogue.
import { HeraldError } from '../domain/errors';

/** The message could not be made durable (no broker ack, returned, channel closed, bus closed, timeout). */
export class PublishNotConfirmedError extends HeraldError {
  constructor(message = 'the broker did not confirm the message') {
    super('PUBLISH_NOT_CONFIRMED', message);
  }
}
