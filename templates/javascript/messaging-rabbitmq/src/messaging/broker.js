import { setTimeout as sleep } from 'node:timers/promises';
import amqp from 'amqplib';
import { abortable } from '../abortable.js';
import { packageInfo } from '../package-info.js';
import { CONTENT_TYPE } from './events.js';
import { messagingMetrics } from './metrics.js';

/** Longest pause between reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 5000;

/** Quorum queues: replicated, durable, and they count deliveries (`x-delivery-count`). */
const QUORUM = { 'x-queue-type': 'quorum' };

/**
 * The broker on RabbitMQ (AMQP 0-9-1, amqplib). Events go to a durable topic exchange
 * (MESSAGING_EXCHANGE) with their type as routing key, as persistent messages; a service reads
 * from its own durable quorum queue (MESSAGING_GROUP), bound to the types it consumes, so the
 * instances of one service share its events and every service gets its own copy.
 *
 * - publish: on a confirm channel; resolves once RabbitMQ has confirmed it (publisher confirms).
 * - subscribe: at most `concurrency` unacknowledged deliveries at once (prefetch). An event
 *   whose consumer died before acknowledging it is redelivered; the queue counts how often.
 * - dead letters: the queue `<MESSAGING_GROUP>.dead-letter`, published with a confirm before the
 *   event is acknowledged.
 * - The connection comes back after RabbitMQ restarts or the network drops, with capped backoff,
 *   and every subscription consumes again; while it is down, publish fails at once.
 *
 * @param {{ RABBITMQ_URL?: string, RABBITMQ_CONNECT_TIMEOUT_MS: number, MESSAGING_EXCHANGE: string }} config
 * @param {import('pino').Logger} logger
 * @param {{ registry: import('prom-client').Registry }} metrics
 */
export function createMessaging(config, logger, metrics) {
  const counters = messagingMetrics(metrics.registry);
  const exchange = config.MESSAGING_EXCHANGE;
  /** @type {{ connection: import('amqplib').ChannelModel, publisher: import('amqplib').ConfirmChannel } | undefined} */
  let current;
  const closing = new AbortController();
  /** @type {Promise<void> | undefined} */
  let connecting;
  const subscriptions = new Set();

  const attachAll = (subscription, connection) =>
    subscription.attach(connection).catch((err) => logger.warn({ err }, 'consuming failed; trying again on the next connection'));

  async function open() {
    const connection = await amqp.connect(config.RABBITMQ_URL ?? 'amqp://localhost', {
      timeout: config.RABBITMQ_CONNECT_TIMEOUT_MS,
      clientProperties: { connection_name: packageInfo.name },
    });
    connection.on('error', (err) => logger.warn({ err }, 'RabbitMQ connection error'));
    connection.on('close', () => {
      current = undefined;
      if (!closing.signal.aborted) void reconnect();
    });
    const publisher = await connection.createConfirmChannel();
    publisher.on('error', (err) => logger.warn({ err }, 'RabbitMQ channel error'));
    // A channel RabbitMQ closed (a refused operation) is replaced with the whole connection.
    publisher.on('close', () => {
      if (!closing.signal.aborted) connection.close().catch(() => {});
    });
    await publisher.assertExchange(exchange, 'topic', { durable: true });
    current = { connection, publisher };
    for (const subscription of subscriptions) void attachAll(subscription, connection);
    logger.info('connected to RabbitMQ');
  }

  /** Connects, trying again with capped backoff until connected or closing. */
  function reconnect() {
    connecting ??= (async () => {
      for (let attempt = 0; !closing.signal.aborted; attempt += 1) {
        try {
          await open();
          return;
        } catch (err) {
          logger.warn({ err, attempt }, 'RabbitMQ unavailable; trying again');
          await sleep(Math.min(100 * 2 ** attempt, MAX_RECONNECT_DELAY_MS));
        }
      }
    })().finally(() => {
      connecting = undefined;
    });
    return connecting;
  }

  /**
   * Publishes on the confirm channel; resolves once RabbitMQ confirmed it.
   *
   * @param {(publisher: import('amqplib').ConfirmChannel, done: (err: unknown) => void) => void} send
   * @returns {Promise<void>}
   */
  function confirmed(send) {
    const publisher = current?.publisher;
    if (!publisher) return Promise.reject(new Error('RabbitMQ is not connected'));
    return new Promise((resolve, reject) => {
      send(publisher, (err) => (err ? reject(err instanceof Error ? err : new Error('RabbitMQ refused the message', { cause: err })) : resolve()));
    });
  }

  /**
   * @param {{ group: string, types: string[], concurrency: number, onDelivery: (delivery: import('./consumer.js').Delivery) => Promise<void> }} options
   */
  function subscribe({ group, types, concurrency, onDelivery }) {
    const deadLetters = `${group}.dead-letter`;
    const running = new Set();
    /** @type {{ channel: import('amqplib').Channel, tag: string } | undefined} */
    let active;
    let stopped = false;
    /** @type {(() => void) | undefined} */
    let attached;
    /** Resolves once the queue is bound and consumed from the first time. */
    const ready = new Promise((resolve) => {
      attached = resolve;
    });

    /**
     * @param {import('amqplib').Channel} channel
     * @param {import('amqplib').ConsumeMessage} message
     */
    const handle = (channel, message) => {
      const previous = Number(message.properties.headers?.['x-delivery-count'] ?? (message.fields.redelivered ? 1 : 0));
      const task = onDelivery({
        body: message.content.toString(),
        attempts: previous + 1,
        ack: async () => channel.ack(message),
        deadLetter: async (reason) => {
          await confirmed((publisher, done) =>
            publisher.sendToQueue(
              deadLetters,
              message.content,
              { persistent: true, contentType: CONTENT_TYPE, headers: { 'x-reason': reason, 'x-original-routing-key': message.fields.routingKey } },
              done,
            ),
          );
          channel.ack(message);
        },
      }).finally(() => running.delete(task));
      running.add(task);
    };

    const subscription = {
      ready,
      /** Declares the queues and bindings and consumes, on a channel of `connection`. */
      async attach(connection) {
        if (stopped) return;
        const channel = await connection.createChannel();
        channel.on('error', (err) => logger.warn({ err }, 'RabbitMQ consumer channel error'));
        await channel.assertQueue(group, { durable: true, arguments: QUORUM });
        await channel.assertQueue(deadLetters, { durable: true, arguments: QUORUM });
        for (const type of types) await channel.bindQueue(group, exchange, type);
        await channel.prefetch(concurrency);
        const { consumerTag } = await channel.consume(
          group,
          (message) => {
            // Null when the queue was deleted: the next connection declares it again.
            if (message) handle(channel, message);
          },
          { noAck: false },
        );
        active = { channel, tag: consumerTag };
        attached?.();
      },
      /** Stops taking deliveries, lets those in flight finish and acknowledge, then closes the channel. */
      async stop() {
        stopped = true;
        subscriptions.delete(subscription);
        const consuming = active;
        active = undefined;
        if (consuming) await consuming.channel.cancel(consuming.tag).catch(() => {});
        await Promise.allSettled(running);
        if (consuming) await consuming.channel.close().catch(() => {});
      },
    };
    subscriptions.add(subscription);
    if (current) void attachAll(subscription, current.connection);
    return subscription;
  }

  return {
    name: 'messaging',
    async connect() {
      await reconnect();
    },
    async check(signal) {
      // A connection on its way (at start-up, after a restart) is waited for, as long as the probe allows.
      if (!current && connecting) await abortable(connecting, signal);
      if (!current) throw new Error('RabbitMQ is not connected');
      await abortable(current.publisher.checkExchange(exchange), signal);
    },

    /** Publishes the event with its type as routing key; resolves once RabbitMQ confirmed it. */
    /** @param {import('./events.js').CloudEvent} event */
    async publish(event) {
      await confirmed((publisher, done) =>
        publisher.publish(
          exchange,
          event.type,
          Buffer.from(JSON.stringify(event)),
          { persistent: true, contentType: CONTENT_TYPE, messageId: event.id, type: event.type, timestamp: Math.floor(Date.parse(event.time) / 1000) },
          done,
        ),
      );
      counters.published.inc({ type: event.type });
    },

    subscribe,

    /** Events ready in the group's queue, not yet delivered; RabbitMQ does not count them by type, so under `all`. */
    async lag(group) {
      if (!current) return {};
      // A channel of its own: RabbitMQ closes the channel of a check that fails.
      const channel = await current.connection.createChannel();
      channel.on('error', () => {});
      try {
        const { messageCount } = await channel.checkQueue(group);
        return { all: messageCount };
      } finally {
        await channel.close().catch(() => {});
      }
    },

    /** Stops the subscriptions first (they finish what they hold), then the connection. */
    async close() {
      await Promise.all([...subscriptions].map((s) => s.stop()));
      closing.abort();
      await current?.connection.close().catch(() => {});
    },
  };
}
