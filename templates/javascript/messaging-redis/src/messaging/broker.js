import { once } from 'node:events';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { abortable } from '../abortable.js';
import { messagingMetrics } from './metrics.js';

/** Longest pause between reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 5000;

/** How long one read waits for new events; a stopping consumer notices within this. */
const BLOCK_MS = 1000;

/**
 * The broker on Redis Streams. Each event type is a stream (`events.order.created`, from
 * MESSAGING_STREAM_PREFIX), trimmed to about MESSAGING_STREAM_MAXLEN events; a service reads
 * through its consumer group (MESSAGING_GROUP), which Redis gives each event once, until it is
 * acknowledged. Events stay in the stream after that, so a new group can replay them.
 *
 * - publish: XADD, which answers once Redis has the event. Redis keeps it as durably as its
 *   persistence is configured (appendonly with fsync for no loss on a crash of Redis itself).
 * - subscribe: XREADGROUP on a connection of its own; at start this instance first takes what it
 *   held unacknowledged before it was restarted (its name is the host's, which a pod keeps), and
 *   every so often it claims (XAUTOCLAIM) events another instance left unacknowledged for
 *   MESSAGING_CLAIM_IDLE_MS: that one crashed. The times Redis delivered an event are its attempts.
 * - dead letters: `<stream>.dead-letter`, written and acknowledged in one transaction.
 *
 * @param {{ REDIS_URL?: string, REDIS_CONNECT_TIMEOUT_MS: number, MESSAGING_STREAM_PREFIX: string, MESSAGING_STREAM_MAXLEN: number, MESSAGING_CLAIM_IDLE_MS: number }} config
 * @param {import('pino').Logger} logger
 * @param {{ registry: import('prom-client').Registry }} metrics
 */
export function createMessaging(config, logger, metrics) {
  const counters = messagingMetrics(metrics.registry);
  const client = createClient({
    url: config.REDIS_URL,
    // Fail at once while disconnected: a request gets its 503, the relay and the consumer try again.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: config.REDIS_CONNECT_TIMEOUT_MS,
      reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, MAX_RECONNECT_DELAY_MS),
    },
  });
  client.on('error', (err) => logger.warn({ err }, 'Redis (messaging) connection error'));
  const streamOf = (type) => `${config.MESSAGING_STREAM_PREFIX}${type}`;
  const subscriptions = new Set();

  /** Creates the group on each stream (and the stream), reading from its start: nothing published before is missed. */
  async function ensureGroups(group, streams) {
    for (const stream of streams) {
      try {
        await client.xGroupCreate(stream, group, '0', { MKSTREAM: true });
      } catch (err) {
        if (!String(err?.message).startsWith('BUSYGROUP')) throw err;
      }
    }
  }

  /**
   * @param {{ group: string, types: string[], concurrency: number, onDelivery: (delivery: import('./consumer.js').Delivery) => Promise<void> }} options
   */
  function subscribe({ group, types, concurrency, onDelivery }) {
    const streams = types.map(streamOf);
    const consumer = `${hostname()}-${process.env.NODE_APP_INSTANCE ?? '0'}`;
    const reader = client.duplicate();
    reader.on('error', (err) => logger.warn({ err }, 'Redis (messaging reader) connection error'));
    const running = new Set();
    const stopping = new AbortController();
    // Own pending events first (after each stream's cursor, from 0), then new ones (>).
    let history = true;
    const cursors = Object.fromEntries(streams.map((stream) => [stream, '0']));
    let nextClaim = 0;
    let grouped;
    /** Resolves once the group exists on every stream. */
    const ready = new Promise((resolve) => {
      grouped = resolve;
    });

    const delivery = (stream, message, attempts) => ({
      body: message.message.event ?? '',
      attempts,
      ack: async () => {
        await client.xAck(stream, group, message.id);
      },
      deadLetter: async (reason) => {
        await client
          .multi()
          .xAdd(`${stream}.dead-letter`, '*', { event: message.message.event ?? '', reason, group, id: message.id })
          .xAck(stream, group, message.id)
          .exec();
      },
    });

    const dispatch = (item) => {
      const task = onDelivery(item).finally(() => running.delete(task));
      running.add(task);
    };

    /** How many times Redis delivered each of these messages. */
    async function attemptsOf(stream, ids) {
      const counts = await Promise.all(ids.map((id) => client.xPendingRange(stream, group, id, id, 1)));
      return counts.map((entries) => entries[0]?.deliveriesCounter ?? 1);
    }

    /** Takes over events another instance left unacknowledged for MESSAGING_CLAIM_IDLE_MS. */
    async function claim(room) {
      let claimed = 0;
      for (const stream of streams) {
        if (claimed >= room) break;
        const reply = await client.xAutoClaim(stream, group, consumer, config.MESSAGING_CLAIM_IDLE_MS, '0-0', { COUNT: room - claimed });
        const messages = reply.messages.filter(Boolean);
        const attempts = await attemptsOf(stream, messages.map((m) => m.id));
        messages.forEach((m, i) => dispatch(delivery(stream, m, attempts[i])));
        claimed += messages.length;
      }
      return claimed;
    }

    async function read(room) {
      const reply = await reader.xReadGroup(group, consumer, streams.map((key) => ({ key, id: history ? cursors[key] : '>' })), {
        COUNT: room,
        ...(history ? {} : { BLOCK: BLOCK_MS }),
      });
      let read = 0;
      for (const { name, messages } of reply ?? []) {
        const attempts = history ? await attemptsOf(name, messages.map((m) => m.id)) : messages.map(() => 1);
        messages.forEach((m, i) => dispatch(delivery(name, m, attempts[i])));
        if (messages.length > 0) cursors[name] = messages.at(-1).id;
        read += messages.length;
      }
      // The history is read once it comes back empty.
      if (history && read === 0) history = false;
    }

    const loop = (async () => {
      let failures = 0;
      while (!stopping.signal.aborted) {
        try {
          // The shared client connects with the other dependencies (or reconnects): wait for it.
          if (!client.isReady) await once(client, 'ready', { signal: stopping.signal });
          if (!reader.isOpen) await reader.connect();
          if (failures > 0 || nextClaim === 0) {
            await ensureGroups(group, streams);
            grouped();
          }
          const room = concurrency - running.size;
          if (room === 0) {
            await Promise.race(running);
            continue;
          }
          if (Date.now() >= nextClaim) {
            nextClaim = Date.now() + config.MESSAGING_CLAIM_IDLE_MS / 2;
            if ((await claim(room)) > 0) continue;
          }
          await read(room);
          failures = 0;
        } catch (err) {
          if (stopping.signal.aborted) break;
          failures += 1;
          logger.warn({ err, failures }, 'reading events failed; trying again');
          await sleep(Math.min(100 * 2 ** failures, MAX_RECONNECT_DELAY_MS));
        }
      }
    })();

    const subscription = {
      ready,
      async stop() {
        stopping.abort();
        // Only reads use this connection: closing it ends a read or a connection attempt at once.
        if (reader.isOpen) reader.destroy();
        await loop;
        await Promise.allSettled(running);
        subscriptions.delete(subscription);
      },
    };
    subscriptions.add(subscription);
    return subscription;
  }

  return {
    name: 'messaging',
    async connect() {
      await client.connect();
    },
    async check(signal) {
      if (!client.isReady) throw new Error('Redis (messaging) is not connected');
      await abortable(client.ping(), signal);
    },

    /**
     * Writes the event to its type's stream; resolves once Redis has it.
     *
     * @param {import('./events.js').CloudEvent} event
     */
    async publish(event) {
      await client.xAdd(
        streamOf(event.type),
        '*',
        { event: JSON.stringify(event) },
        { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: config.MESSAGING_STREAM_MAXLEN } },
      );
      counters.published.inc({ type: event.type });
    },

    subscribe,

    /** Events not yet delivered to `group`, by type (XINFO GROUPS `lag`). */
    async lag(group, types) {
      const lags = {};
      for (const type of types) {
        const groups = await client.xInfoGroups(streamOf(type)).catch(() => []);
        const entry = groups.find((g) => g.name === group);
        if (entry && typeof entry.lag === 'number') lags[type] = entry.lag;
      }
      return lags;
    },

    /** Stops the subscriptions first (they finish what they hold), then the connection. */
    async close() {
      await Promise.all([...subscriptions].map((s) => s.stop()));
      if (client.isReady) await client.close();
      else if (client.isOpen) client.destroy();
    },
  };
}
