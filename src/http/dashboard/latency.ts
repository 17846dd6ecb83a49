// Average provider call time from this process's metrics (herald_provider_call_seconds): what the overview shows as latency.
import type { Registry } from 'prom-client';
import type { ProviderLatency } from './deps';

export function latencyFromMetrics(registry: Registry): ProviderLatency {
  return async () => {
    const metric = registry.getSingleMetric('herald_provider_call_seconds');
    if (!metric) return {};
    const { values } = await metric.get();
    const acc: Record<string, { sum: number; count: number }> = {};
    for (const v of values) {
      const provider = String(v.labels.provider ?? '');
      const name = (v as { metricName?: string }).metricName ?? '';
      const a = (acc[provider] ??= { sum: 0, count: 0 });
      if (name.endsWith('_sum')) a.sum += v.value;
      else if (name.endsWith('_count')) a.count += v.value;
    }
    return Object.fromEntries(Object.entries(acc).map(([id, a]) => [id, { calls: a.count, avgMs: a.count ? (1000 * a.sum) / a.count : 0 }]));
  };
}
