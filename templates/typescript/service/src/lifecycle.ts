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

/**
 * Runs `stop` on the first SIGTERM or SIGINT, then exits: 0 when it reports a clean stop, 1
 * otherwise, once stdout has taken the last lines (PM2's cluster workers write them
 * asynchronously). A process in an unknown state must not keep serving: an uncaught exception
 * or unhandled rejection is logged and the process exits 1, for the orchestrator to replace it.
 *
 * @param stop resolves true when everything stopped cleanly
 */
export function exitOnSignals(logger: Logger, stop: () => Promise<boolean>): void {
  let stopping = false;
  const onSignal = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'shutting down');
    const clean = await stop();
    process.exitCode = clean ? 0 : 1;
    process.stdout.write('', () => process.exit());
    setTimeout(() => process.exit(), 1000).unref();
  };
  process.once('SIGTERM', () => void onSignal('SIGTERM'));
  process.once('SIGINT', () => void onSignal('SIGINT'));
  const crash = (kind: string) => (err: unknown) => {
    logger.fatal({ err }, kind);
    process.exit(1);
  };
  process.on('uncaughtException', crash('uncaught exception'));
  process.on('unhandledRejection', crash('unhandled promise rejection'));
}
