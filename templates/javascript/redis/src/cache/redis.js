import { createClient } from 'redis';
import { abortable } from '../abortable.js';

/** Longest pause between reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 5000;

/**
 * Redis through node-redis. The client connects at start-up and reconnects with capped backoff;
 * commands fail fast while disconnected (no offline queue). Redis is optional: the response
 * cache and the rate limiter fail open, so an outage shows in /health but does not take the
 * service out of rotation. Code of your own that cannot work without Redis should set
 * `optional: false` here. Callers bound every command with REDIS_COMMAND_TIMEOUT_MS and check
 * `client.isReady` first: node-redis still queues a MULTI while it reconnects.
 *
 * @param {{ REDIS_URL?: string, REDIS_CONNECT_TIMEOUT_MS: number }} config
 * @param {import('pino').Logger} logger
 * @returns {import('../dependencies.js').Dependency & { client: import('redis').RedisClientType }}
 */
export function createRedis(config, logger) {
  const client = createClient({
    url: config.REDIS_URL,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: config.REDIS_CONNECT_TIMEOUT_MS,
      reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, MAX_RECONNECT_DELAY_MS),
    },
  });
  // Connection errors are reported here while the client retries; without a listener they would crash the process.
  client.on('error', (err) => logger.warn({ err }, 'Redis connection error'));

  return {
    name: 'redis',
    optional: true,
    client,
    async connect() {
      await client.connect();
    },
    async check(signal) {
      if (!client.isReady) throw new Error('Redis is not connected');
      await abortable(client.ping(), signal);
    },
    async close() {
      if (client.isReady) await client.close();
      else if (client.isOpen) client.destroy();
    },
  };
}
