/**
 * An express-rate-limit store in Redis (node-redis): one counter per client and window, created
 * with its expiry in one MULTI, so every replica shares the same counts.
 */
export class RedisStore {
  /**
   * @param {import('redis').RedisClientType} client
   * @param {string} [prefix]
   */
  constructor(client, prefix = 'rate-limit:') {
    this.client = client;
    this.prefix = prefix;
    /** Counts are shared, not local to this process. */
    this.localKeys = false;
  }

  /** Called by express-rate-limit with its options. */
  init({ windowMs }) {
    this.windowMs = windowMs;
  }

  async increment(key) {
    const id = this.prefix + key;
    // NX: only the first hit of a window sets the expiry.
    const [hits, , ttl] = await this.client.multi().incr(id).pExpire(id, this.windowMs, 'NX').pTTL(id).exec();
    return { totalHits: Number(hits), resetTime: new Date(Date.now() + Math.max(Number(ttl), 0)) };
  }

  async decrement(key) {
    await this.client.decr(this.prefix + key);
  }

  async resetKey(key) {
    await this.client.del(this.prefix + key);
  }
}
