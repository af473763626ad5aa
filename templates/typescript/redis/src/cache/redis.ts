import { createClient } from 'redis';
import type { Logger } from 'pino';
import { abortable } from '../abortable.ts';
import type { Config } from '../config.ts';
import type { Dependency } from '../dependencies.ts';

/** Longest pause between reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 5000;

/** The Redis dependency: the client the cache and the rate limiter use, besides the lifecycle hooks. */
export type RedisDependency = Dependency & Required<Pick<Dependency, 'connect' | 'check'>> & { client: ReturnType<typeof clientFor> };

/** A node-redis client with the service's settings, not connected yet. */
function clientFor(config: Config) {
  return createClient({
    ...(config.REDIS_URL === undefined ? {} : { url: config.REDIS_URL }),
    disableOfflineQueue: true,
    socket: {
      connectTimeout: config.REDIS_CONNECT_TIMEOUT_MS,
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, MAX_RECONNECT_DELAY_MS),
    },
  });
}

/**
 * Redis through node-redis. The client connects at start-up and reconnects with capped backoff;
 * commands fail fast while disconnected (no offline queue). Redis is optional: the response
 * cache and the rate limiter fail open, so an outage shows in /health but does not take the
 * service out of rotation. Code of your own that cannot work without Redis should set
 * `optional: false` here. Callers bound every command with REDIS_COMMAND_TIMEOUT_MS and check
 * `client.isReady` first: node-redis still queues a MULTI while it reconnects.
 */
export function createRedis(config: Config, logger: Logger): RedisDependency {
  const client = clientFor(config);
  // Connection errors are reported here while the client retries; without a listener they would crash the process.
  client.on('error', (err: Error) => logger.warn({ err }, 'Redis connection error'));

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
