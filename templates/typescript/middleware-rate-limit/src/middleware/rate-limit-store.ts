import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';
import { abortable } from '../abortable.ts';
import { packageInfo } from '../package-info.ts';

/** What the store uses of a node-redis client (src/cache/redis.ts); tests pass a fake. */
export interface CountingClient {
  readonly isReady: boolean;
  multi(): { incr(key: string): { pExpire(key: string, ms: number, mode: 'NX'): { pTTL(key: string): { exec(): Promise<unknown[]> } } } };
  decr(key: string): Promise<unknown>;
  del(key: string): Promise<unknown>;
}

/**
 * An express-rate-limit store in Redis (node-redis): one counter per client and window, created
 * with its expiry in one MULTI, so every replica shares the same counts. A count fails at once
 * while Redis is disconnected (node-redis would queue the MULTI until it reconnects) and after
 * `timeoutMs` when Redis does not answer; express-rate-limit then lets the request through.
 */
export class RedisStore implements Store {
  /** Counts are shared, not local to this process. */
  readonly localKeys = false;
  readonly prefix: string;
  private readonly client: CountingClient;
  private readonly timeoutMs: number;
  private windowMs = 60_000;

  constructor(client: CountingClient, { prefix = `${packageInfo.name}:rate-limit:`, timeoutMs = 250 }: { prefix?: string; timeoutMs?: number | undefined } = {}) {
    this.client = client;
    this.prefix = prefix;
    this.timeoutMs = timeoutMs;
  }

  /** Called by express-rate-limit with its options. */
  init({ windowMs }: Options): void {
    this.windowMs = windowMs;
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    if (!this.client.isReady) throw new Error('Redis is not connected');
    const id = this.prefix + key;
    // NX: only the first hit of a window sets the expiry.
    const counted = this.client.multi().incr(id).pExpire(id, this.windowMs, 'NX').pTTL(id).exec();
    const [hits, , ttl] = await this.#within(counted);
    return { totalHits: Number(hits), resetTime: new Date(Date.now() + Math.max(Number(ttl), 0)) };
  }

  async decrement(key: string): Promise<void> {
    if (this.client.isReady) await this.#within(this.client.decr(this.prefix + key));
  }

  async resetKey(key: string): Promise<void> {
    if (this.client.isReady) await this.#within(this.client.del(this.prefix + key));
  }

  /** `command`, or a rejection once timeoutMs has passed without an answer. */
  #within<T>(command: Promise<T>): Promise<T> {
    return abortable(command, AbortSignal.timeout(this.timeoutMs));
  }
}
