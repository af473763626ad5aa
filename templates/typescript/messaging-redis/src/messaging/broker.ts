import { once } from 'node:events';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { createClient } from 'redis';
import { abortable } from '../abortable.ts';
import type { Config } from '../config.ts';
import type { Metrics } from '../metrics.ts';
import type { Broker, CloudEvent, Delivery, Subscription } from './events.ts';
import { messagingMetrics } from './metrics.ts';

/** Longest pause between reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 5000;

/** How long one read waits for new events; a stopping consumer notices within this. */
const BLOCK_MS = 1000;

/** One entry of a stream as node-redis returns it. */
interface StreamMessage {
  id: string;
  message: Record<string, string>;
}

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
 */
export function createMessaging(config: Config, logger: Logger, metrics: Metrics): Broker {
  const counters = messagingMetrics(metrics.registry);
  const client = createClient({
    ...(config.REDIS_URL === undefined ? {} : { url: config.REDIS_URL }),
    // Fail at once while disconnected: a request gets its 503, the relay and the consumer try again.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: config.REDIS_CONNECT_TIMEOUT_MS,
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, MAX_RECONNECT_DELAY_MS),
    },
  });
  client.on('error', (err: Error) => logger.warn({ err }, 'Redis (messaging) connection error'));
  const streamOf = (type: string) => `${config.MESSAGING_STREAM_PREFIX}${type}`;
  const subscriptions = new Set<Subscription>();

  /** Creates the group on each stream (and the stream), reading from its start: nothing published before is missed. */
  async function ensureGroups(group: string, streams: string[]) {
    for (const stream of streams) {
      try {
        await client.xGroupCreate(stream, group, '0', { MKSTREAM: true });
      } catch (err) {
        if (!(err instanceof Error && err.message.startsWith('BUSYGROUP'))) throw err;
      }
    }
  }

  function subscribe({ group, types, concurrency, onDelivery }: Parameters<Broker['subscribe']>[0]): Subscription {
    const streams = types.map(streamOf);
    const consumer = `${hostname()}-${process.env['NODE_APP_INSTANCE'] ?? '0'}`;
    const reader = client.duplicate();
    reader.on('error', (err: Error) => logger.warn({ err }, 'Redis (messaging reader) connection error'));
    const running = new Set<Promise<void>>();
    const stopping = new AbortController();
    // Own pending events first (after each stream's cursor, from 0), then new ones (>).
    let history = true;
    const cursors: Record<string, string> = Object.fromEntries(streams.map((stream) => [stream, '0']));
    let nextClaim = 0;
    let grouped: (() => void) | undefined;
    /** Resolves once the group exists on every stream. */
    const ready = new Promise<void>((resolve) => {
      grouped = resolve;
    });

    const delivery = (stream: string, message: StreamMessage, attempts: number): Delivery => ({
      body: message.message['event'] ?? '',
      attempts,
      ack: async () => {
        await client.xAck(stream, group, message.id);
      },
      deadLetter: async (reason) => {
        await client
          .multi()
          .xAdd(`${stream}.dead-letter`, '*', { event: message.message['event'] ?? '', reason, group, id: message.id })
          .xAck(stream, group, message.id)
          .exec();
      },
    });

    const dispatch = (item: Delivery) => {
      const task: Promise<void> = onDelivery(item).finally(() => running.delete(task));
      running.add(task);
    };

    /** How many times Redis delivered each of these messages. */
    async function attemptsOf(stream: string, ids: string[]): Promise<number[]> {
      const counts = await Promise.all(ids.map((id) => client.xPendingRange(stream, group, id, id, 1)));
      return counts.map((entries) => entries[0]?.deliveriesCounter ?? 1);
    }

    /** Takes over events another instance left unacknowledged for MESSAGING_CLAIM_IDLE_MS. */
    async function claim(room: number): Promise<number> {
      let claimed = 0;
      for (const stream of streams) {
        if (claimed >= room) break;
        const reply = await client.xAutoClaim(stream, group, consumer, config.MESSAGING_CLAIM_IDLE_MS, '0-0', { COUNT: room - claimed });
        const messages = reply.messages.filter((m) => m !== null) as unknown as StreamMessage[];
        const attempts = await attemptsOf(stream, messages.map((m) => m.id));
        messages.forEach((m, i) => dispatch(delivery(stream, m, attempts[i] ?? 1)));
        claimed += messages.length;
      }
      return claimed;
    }

    async function read(room: number) {
      // node-redis types the reply of a command that takes several streams loosely.
      const reply: { name: string; messages: StreamMessage[] }[] | null = await reader.xReadGroup(group, consumer, streams.map((key) => ({ key, id: history ? (cursors[key] ?? '0') : '>' })), {
        COUNT: room,
        ...(history ? {} : { BLOCK: BLOCK_MS }),
      });
      let count = 0;
      for (const { name, messages } of reply ?? []) {
        const attempts = history ? await attemptsOf(name, messages.map((m) => m.id)) : messages.map(() => 1);
        messages.forEach((m, i) => dispatch(delivery(name, m, attempts[i] ?? 1)));
        const last = messages.at(-1);
        if (last) cursors[name] = last.id;
        count += messages.length;
      }
      // The history is read once it comes back empty.
      if (history && count === 0) history = false;
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
            grouped?.();
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

    const subscription: Subscription = {
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

    /** Writes the event to its type's stream; resolves once Redis has it. */
    async publish(event: CloudEvent) {
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
      const lags: Record<string, number> = {};
      for (const type of types) {
        const groups = (await client.xInfoGroups(streamOf(type)).catch(() => [])) as unknown as { name: string; lag?: unknown }[];
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
