// MongoDB collections of client webhook endpoints and their deliveries (spread into models.ts).
import { Schema, type Connection, type Model } from 'mongoose';
import { base } from './models-base';

/** `_id` is the endpoint id (`we_...`, globally unique); reads per workspace filter on workspaceId too. */
const endpointSchema = new Schema(
  {
    _id: String, workspaceId: String, url: String, events: [String], description: String, secret: String, enabled: Boolean,
    disabledReason: String, disabledAt: Date, failingSince: Date, createdAt: Date, updatedAt: Date,
  },
  { ...base, collection: 'webhookendpoints' },
);
endpointSchema.index({ workspaceId: 1, createdAt: 1, _id: 1 });
endpointSchema.index({ enabled: 1 });

/** `_id` is deliveryIdOf(event, endpoint): a redelivered event inserts nothing twice. */
const deliverySchema = new Schema(
  {
    _id: String, workspaceId: String, endpointId: String, eventId: String, eventType: String, payload: String, state: String,
    nextAttemptAt: Date, leaseToken: String, retryUntil: Date,
    attempts: [{ _id: false, at: Date, statusCode: Number, latencyMs: Number, error: String }],
    attemptCount: Number, lastError: String, createdAt: Date, updatedAt: Date,
  },
  { ...base, collection: 'webhookdeliveries' },
);
deliverySchema.index({ state: 1, nextAttemptAt: 1 });
deliverySchema.index({ endpointId: 1, state: 1, nextAttemptAt: 1 });
deliverySchema.index({ endpointId: 1, createdAt: -1, _id: -1 });
deliverySchema.index({ state: 1, updatedAt: 1 });

/** `_id` is the workspace id: where the webhook catch-up sweep stands in its message changes. */
const sweepCursorSchema = new Schema({ _id: String, at: Date, id: String }, { ...base, collection: 'webhooksweepcursors' });

export interface WebhookModels {
  webhookEndpoints: Model<any>;
  webhookDeliveries: Model<any>;
  webhookSweepCursors: Model<any>;
}

export function buildWebhookModels(conn: Connection): WebhookModels {
  return {
    webhookEndpoints: conn.model('WebhookEndpoint', endpointSchema),
    webhookDeliveries: conn.model('WebhookDelivery', deliverySchema),
    webhookSweepCursors: conn.model('WebhookSweepCursor', sweepCursorSchema),
  };
}
