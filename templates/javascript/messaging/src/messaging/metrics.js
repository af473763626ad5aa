import client from 'prom-client';

/** The messaging metrics of each registry: the publisher and the consumers of a process share them. */
const byRegistry = new WeakMap();

/**
 * Counters of events published, consumed, failed and dead-lettered, by event type, and the
 * consumer lag: events waiting at the broker for this service's consumer group, read from the
 * broker when Prometheus scrapes.
 *
 * @param {import('prom-client').Registry} registry
 */
export function messagingMetrics(registry) {
  let metrics = byRegistry.get(registry);
  if (metrics) return metrics;
  const registers = [registry];
  const labelNames = ['type'];
  /** @type {(() => Promise<Record<string, number>>) | undefined} */
  let lagSource;
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
  metrics = {
    published: new client.Counter({ name: 'messaging_events_published_total', help: 'Events the broker confirmed, by type.', labelNames, registers }),
    consumed: new client.Counter({ name: 'messaging_events_consumed_total', help: 'Events handled and acknowledged, by type (redeliveries of handled events not counted).', labelNames, registers }),
    failed: new client.Counter({ name: 'messaging_events_failed_total', help: 'Tries of a handler that failed, by type.', labelNames, registers }),
    deadLettered: new client.Counter({ name: 'messaging_events_dead_lettered_total', help: 'Events sent to the dead letters, by type.', labelNames, registers }),
    duplicates: new client.Counter({ name: 'messaging_events_duplicate_total', help: 'Redelivered events recognised as processed already and not handled again, by type.', labelNames, registers }),
    handleDuration: new client.Histogram({
      name: 'messaging_event_handle_duration_seconds',
      help: 'Time to handle an event, by type and outcome.',
      labelNames: ['type', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    }),
    lag,
    /** Where the lag gauge reads from: the running consumer's broker. */
    setLagSource(source) {
      lagSource = source;
    },
  };
  byRegistry.set(registry, metrics);
  return metrics;
}
