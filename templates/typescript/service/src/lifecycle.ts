import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Connections } from './connections.ts';
import type { Dependency } from './dependencies.ts';
import type { Worker } from './workers.ts';

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
 * (src/connections.ts), and meanwhile every worker finishes what it holds and stops; then every
 * dependency closes. Connections still open at `timeoutMs` are cut.
 *
 * @returns true when everything closed before the timeout
 */
export async function shutdown({
  connections,
  lifecycle,
  workers = [],
  dependencies,
  logger,
  delayMs,
  timeoutMs,
}: {
  connections: Connections;
  lifecycle: Lifecycle;
  /** Stopped beside the connections, before the dependencies close. */
  workers?: Worker[];
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
    const stopped = workers.map((worker) =>
      worker.stop().catch((err: unknown) => logger.error({ err, worker: worker.name }, 'worker did not stop cleanly')),
    );
    await Promise.all([connections.close(), ...stopped]);
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
