import client from 'prom-client';
import type { Registry } from 'prom-client';

/** The messaging metrics: counters by event type, and the lag read from the broker. */
export interface MessagingMetrics {
  published: client.Counter<'type'>;
  consumed: client.Counter<'type'>;
  failed: client.Counter<'type'>;
  deadLettered: client.Counter<'type'>;
  duplicates: client.Counter<'type'>;
  handleDuration: client.Histogram<'type' | 'outcome'>;
  lag: client.Gauge<'type'>;
  /** Where the lag gauge reads from: the running consumer's broker. */
  setLagSource: (source: () => Promise<Record<string, number>>) => void;
}

/** The messaging metrics of each registry: the publisher and the consumers of a process share them. */
const byRegistry = new WeakMap<Registry, MessagingMetrics>();

/**
 * Counters of events published, consumed, failed and dead-lettered, by event type, and the
 * consumer lag: events waiting at the broker for this service's consumer group, read from the
 * broker when Prometheus scrapes.
 */
export function messagingMetrics(registry: Registry): MessagingMetrics {
  const known = byRegistry.get(registry);
  if (known) return known;
  const registers = [registry];
  const labelNames = ['type'] as const;
  let lagSource: (() => Promise<Record<string, number>>) | undefined;
  const lag = new client.Gauge({
    name: 'messaging_consumer_lag',
    help: "Events waiting at the broker for this service's consumer group, by type.",
    labelNames,
    registers,
    async collect() {
      if (!lagSource) return;
      this.reset();
      const lags = await lagSource().catch(() => ({}));
      for (const [type, waiting] of Object.entries(lags)) this.set({ type }, waiting);
    },
  });
  const metrics: MessagingMetrics = {
    published: new client.Counter({ name: 'messaging_events_published_total', help: 'Events the broker confirmed, by type.', labelNames, registers }),
    consumed: new client.Counter({ name: 'messaging_events_consumed_total', help: 'Events handled and acknowledged, by type (redeliveries of handled events not counted).', labelNames, registers }),
    failed: new client.Counter({ name: 'messaging_events_failed_total', help: 'Tries of a handler that failed, by type.', labelNames, registers }),
    deadLettered: new client.Counter({ name: 'messaging_events_dead_lettered_total', help: 'Events sent to the dead letters, by type.', labelNames, registers }),
    duplicates: new client.Counter({ name: 'messaging_events_duplicate_total', help: 'Redelivered events recognised as processed already and not handled again, by type.', labelNames, registers }),
    handleDuration: new client.Histogram({
      name: 'messaging_event_handle_duration_seconds',
      help: 'Time to handle an event, by type and outcome.',
      labelNames: ['type', 'outcome'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    }),
    lag,
    setLagSource(source) {
      lagSource = source;
    },
  };
  byRegistry.set(registry, metrics);
  return metrics;
}
