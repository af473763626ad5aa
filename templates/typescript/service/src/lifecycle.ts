import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Connections } from './connections.ts';
import type { Dependency } from './dependencies.ts';

/** Draining state shared by the readiness probe and the shutdown sequence. */
export interface Lifecycle {
  readonly draining: boolean;
  startDraining(): void;
}

/** A lifecycle that is not draining yet. */
export function createLifecycle(): Lifecycle {
  let draining = false;
  return {
    get draining() {
      return draining;
    },
    startDraining() {
      draining = true;
    },
  };
}

/**
 * Stops serving gracefully: readiness fails at once, then after `delayMs` the server stops
 * accepting connections, in-flight requests finish, each connection closes once it is idle
 * (src/connections.ts), and every dependency closes. Connections still open at `timeoutMs` are cut.
 *
 * @returns true when everything closed before the timeout
 */
export async function shutdown({
  connections,
  lifecycle,
  dependencies,
  logger,
  delayMs,
  timeoutMs,
}: {
  connections: Connections;
  lifecycle: Lifecycle;
  dependencies: Record<string, Dependency>;
  logger: Logger;
  delayMs: number;
  timeoutMs: number;
}): Promise<boolean> {
  lifecycle.startDraining();
  const deadline = AbortSignal.timeout(timeoutMs);
  const timedOut = new Promise<boolean>((resolve) => deadline.addEventListener('abort', () => resolve(false), { once: true }));

  const graceful = (async () => {
    if (delayMs > 0) await sleep(delayMs, undefined, { ref: false });
    await connections.close();
    const results = await Promise.allSettled(Object.values(dependencies).map((d) => d.close()));
    for (const [i, result] of results.entries()) {
      if (result.status === 'rejected') logger.error({ err: result.reason, dependency: Object.keys(dependencies)[i] }, 'dependency did not close cleanly');
    }
    return true;
  })();

  const clean = await Promise.race([graceful, timedOut]);
  if (!clean) connections.destroyAll();
  return clean;
}
