import { setTimeout as sleep } from 'node:timers/promises';
import { handlers } from '../consumers/index.js';
import { PoisonEventError, parseEvent } from './events.js';
import { messagingMetrics } from './metrics.js';
import { processedStore } from './processed.js';

/** How often the ids of events processed longer ago than MESSAGING_PROCESSED_RETENTION_DAYS are deleted. */
const PRUNE_INTERVAL_MS = 60 * 60 * 1000;

/**
 * @typedef {object} Delivery one event as the broker handed it over
 * @property {string} body the message as sent
 * @property {number} attempts this delivery's number: 1, or more after a failure or a crash
 * @property {() => Promise<void>} ack the event is done with: the broker forgets it
 * @property {(reason: string) => Promise<void>} deadLetter moves it to the dead letters, then acknowledges it
 */

/**
 * @typedef {(event: import('./events.js').CloudEvent, context: { db?: import('pg').PoolClient, logger: import('pino').Logger }) => Promise<void>} Handler
 *   what a consumer module exports as `handle`; `db` is the transaction that records the event as
 *   processed (PostgreSQL projects): what the handler writes through it happens exactly once
 */

/**
 * The wait before try `attempt + 1`: MESSAGING_RETRY_BASE_MS doubled per try, capped at
 * MESSAGING_RETRY_MAX_MS, each wait between half and all of it (jitter, so retries of many
 * events spread out).
 *
 * @param {number} attempt
 * @param {{ MESSAGING_RETRY_BASE_MS: number, MESSAGING_RETRY_MAX_MS: number }} config
 */
export function retryDelay(attempt, config) {
  const full = Math.min(config.MESSAGING_RETRY_BASE_MS * 2 ** (attempt - 1), config.MESSAGING_RETRY_MAX_MS);
  return full / 2 + (Math.random() * full) / 2;
}

/**
 * The consumer runner: takes the events of every type in src/consumers/index.js from the broker,
 * MESSAGING_CONCURRENCY at a time, and hands each to its handler once.
 *
 * - At least once, applied once: an event is acknowledged only after its handler succeeded, and
 *   the handler runs in a transaction that records the event's id (src/messaging/processed.js),
 *   so a redelivery after a crash or a lost acknowledgement is recognised and skipped.
 * - A failing handler is tried again after a growing wait; after MESSAGING_MAX_ATTEMPTS tries,
 *   redeliveries after crashes included, the event goes to the dead letters. A message that is not
 *   a CloudEvent goes there at once. Neither holds up the events behind it.
 * - On stop, no new event is taken; those in flight finish and are acknowledged, waits between
 *   tries end (that event stays unacknowledged, so the broker redelivers it), then it returns.
 *
 * @param {import('../workers.js').WorkerContext & { handlers?: Record<string, Handler> }} context
 * @returns {import('../workers.js').Worker}
 */
export function createConsumer({ config, logger, metrics, dependencies, handlers: byType = handlers }) {
  const counters = messagingMetrics(metrics.registry);
  const broker = dependencies.messaging;
  const store = processedStore({ config, dependencies });
  const stopping = new AbortController();
  const log = logger.child({ worker: 'consumer', group: config.MESSAGING_GROUP });
  let subscription;
  let prune;

  async function deadLetter(delivery, type, reason) {
    await delivery.deadLetter(reason);
    counters.deadLettered.inc({ type });
    log.error({ eventType: type, reason }, 'event sent to the dead letters');
  }

  /** @param {Delivery} delivery */
  async function onDelivery(delivery) {
    let event;
    try {
      event = parseEvent(delivery.body);
    } catch (err) {
      if (!(err instanceof PoisonEventError)) throw err;
      await deadLetter(delivery, 'unknown', err.message);
      return;
    }
    const { type } = event;
    const handle = byType[type];
    // A type no handler takes (one removed since the broker routed it here) is done with.
    if (!handle) {
      await delivery.ack();
      return;
    }
    const eventLog = log.child({ eventId: event.id, eventType: type, requestId: event.requestid, traceparent: event.traceparent });
    for (let attempt = delivery.attempts; ; attempt += 1) {
      if (attempt > config.MESSAGING_MAX_ATTEMPTS) {
        await deadLetter(delivery, type, `delivered ${attempt - 1} times without being handled`);
        return;
      }
      const started = performance.now();
      try {
        const applied = await store.once(event, (db) => handle(event, { db, logger: eventLog }));
        counters.handleDuration.observe({ type, outcome: applied ? 'handled' : 'duplicate' }, (performance.now() - started) / 1000);
        (applied ? counters.consumed : counters.duplicates).inc({ type });
      } catch (err) {
        counters.failed.inc({ type });
        counters.handleDuration.observe({ type, outcome: 'failed' }, (performance.now() - started) / 1000);
        eventLog.warn({ err, attempt }, 'event handler failed');
        if (attempt >= config.MESSAGING_MAX_ATTEMPTS) {
          await deadLetter(delivery, type, err instanceof Error ? err.message : String(err));
          return;
        }
        const waited = await sleep(retryDelay(attempt, config), true, { signal: stopping.signal }).catch(() => false);
        if (!waited) return; // stopping: left unacknowledged, so the broker delivers it again
        continue;
      }
      // Done: a lost acknowledgement only means a redelivery, which the processed ids recognise.
      await delivery.ack().catch((err) => eventLog.warn({ err }, 'acknowledgement failed; the event will be redelivered and skipped'));
      return;
    }
  }

  return {
    name: 'consumer',
    /** Resolves once the broker delivers to this consumer (its group or queue exists and is bound). */
    ready: () => subscription?.ready ?? Promise.resolve(),
    start() {
      const types = Object.keys(byType);
      if (types.length === 0) {
        log.warn('no consumers are registered in src/consumers/index.js');
        return;
      }
      counters.setLagSource(() => broker.lag(config.MESSAGING_GROUP, types));
      subscription = broker.subscribe({
        group: config.MESSAGING_GROUP,
        types,
        concurrency: config.MESSAGING_CONCURRENCY,
        onDelivery: (delivery) =>
          onDelivery(delivery).catch((err) => log.error({ err }, 'event left unacknowledged; the broker will deliver it again')),
      });
      prune = setInterval(() => void store.prune().catch((err) => log.warn({ err }, 'old processed event ids were not pruned')), PRUNE_INTERVAL_MS);
      prune.unref();
      log.info({ types }, 'consuming');
    },
    async stop() {
      clearInterval(prune);
      stopping.abort();
      await subscription?.stop();
    },
  };
}

/**
 * The consumer in the processes that run it: `npm run consumer`, and the web process unless
 * MESSAGING_CONSUMER_MODE is `separate`.
 *
 * @param {import('../workers.js').WorkerContext} context
 */
export function consumerWorker(context) {
  const runs = context.role === 'consumer' || context.config.MESSAGING_CONSUMER_MODE === 'in-process';
  return runs ? createConsumer(context) : undefined;
}
