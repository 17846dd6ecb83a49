// Prometheus metrics of webhook attempts, on the process's registry. Labels are bounded (the
// result), never an endpoint, workspace or event id.
import { Counter, Histogram, type Registry } from 'prom-client';

export type AttemptResultLabel = 'succeeded' | 'retry' | 'failed' | 'skipped';

export interface WebhookMetrics {
  attempt(result: AttemptResultLabel, seconds: number): void;
  endpointDisabled(): void;
}

export function createWebhookMetrics(registry: Registry): WebhookMetrics {
  const attempts = new Histogram({
    name: 'herald_webhook_attempt_seconds',
    help: 'One webhook attempt to a client endpoint, by what it led to: succeeded, retry, failed (no more tries), skipped (endpoint disabled or gone)',
    labelNames: ['result'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const disabled = new Counter({ name: 'herald_webhook_endpoints_disabled_total', help: 'Endpoints disabled after failing continuously', registers: [registry] });
  return {
    attempt: (result, seconds) => attempts.observe({ result }, seconds),
    endpointDisabled: () => disabled.inc(),
  };
}
