// Status webhooks to the client: endpoints (API), events (from every message status change, once),
// fan-out to durable deliveries, signed attempts with retries. The loop that runs them is
// src/workers/webhooks.ts; other capabilities tell events with emitWebhookEvent.
export { createWebhookEndpoints, endpointView, deliveryView, type WebhookEndpoints, type EndpointView, type DeliveryView } from './endpoints';
export { createWebhookEmitter, emitWebhookEvent, makeWebhookEvent, messageEvent, payloadOf, type WebhookEmitter, type WebhookEvent, type WebhookBatch } from './events';
export { createEndpointCache, type EndpointCache } from './endpoint-cache';
export { createFanOut, isWebhookBatch, type FanOut } from './fan-out';
export { createDeliverer, signedHeaders } from './deliver';
export { createWebhookPoster, type WebhookPoster } from './http-post';
export { observeNotificationEnds } from './observe-notifications';
export { urlProblem, isPublicAddress, guardedLookup } from './address';
export { createWebhookMetrics, type WebhookMetrics } from './metrics';
export { createWebhookSweep, historyEvents, sweepFanOut, type WebhookSweep } from './sweep';
