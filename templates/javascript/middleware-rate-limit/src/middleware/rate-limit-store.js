import { abortable } from '../abortable.js';
import { packageInfo } from '../package-info.js';

/**
 * An express-rate-limit store in Redis (node-redis): one counter per client and window, created
 * with its expiry in one MULTI, so every replica shares the same counts. A count fails at once
 * while Redis is disconnected (node-redis would queue the MULTI until it reconnects) and after
 * `timeoutMs` when Redis does not answer; express-rate-limit then lets the request through.
 */
export class RedisStore {
  /**
   * @param {import('redis').RedisClientType} client
   * @param {{ prefix?: string, timeoutMs?: number }} [options]
   */
  constructor(client, { prefix = `${packageInfo.name}:rate-limit:`, timeoutMs = 250 } = {}) {
    this.client = client;
    this.prefix = prefix;
    this.timeoutMs = timeoutMs;
    /** Counts are shared, not local to this process. */
    this.localKeys = false;
  }

  /** Called by express-rate-limit with its options. */
  init({ windowMs }) {
    this.windowMs = windowMs;
  }

  async increment(key) {
    if (!this.client.isReady) throw new Error('Redis is not connected');
    const id = this.prefix + key;
    // NX: only the first hit of a window sets the expiry.
    const counted = this.client.multi().incr(id).pExpire(id, this.windowMs, 'NX').pTTL(id).exec();
    const [hits, , ttl] = await this.#within(counted);
    return { totalHits: Number(hits), resetTime: new Date(Date.now() + Math.max(Number(ttl), 0)) };
  }

  async decrement(key) {
    if (this.client.isReady) await this.#within(this.client.decr(this.prefix + key));
  }

  async resetKey(key) {
    if (this.client.isReady) await this.#within(this.client.del(this.prefix + key));
  }

  /** `command`, or a rejection once timeoutMs has passed without an answer. */
  #within(command) {
    return abortable(command, AbortSignal.timeout(this.timeoutMs));
  }
}
