import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Draining state shared by the readiness probe and the shutdown sequence.
 */
export function createLifecycle() {
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
 * accepting connections, in-flight requests finish (idle keep-alive connections are closed as
 * they become idle), and every dependency closes. Connections still open at `timeoutMs` are cut.
 *
 * @param {object} options
 * @param {import('node:http').Server} options.server
 * @param {ReturnType<typeof createLifecycle>} options.lifecycle
 * @param {Record<string, import('./dependencies.js').Dependency>} options.dependencies
 * @param {import('pino').Logger} options.logger
 * @param {number} options.delayMs
 * @param {number} options.timeoutMs
 * @returns {Promise<boolean>} true when everything closed before the timeout
 */
export async function shutdown({ server, lifecycle, dependencies, logger, delayMs, timeoutMs }) {
  lifecycle.startDraining();
  const deadline = AbortSignal.timeout(timeoutMs);
  const timedOut = new Promise((resolve) => deadline.addEventListener('abort', () => resolve(false), { once: true }));

  const graceful = (async () => {
    if (delayMs > 0) await sleep(delayMs, undefined, { ref: false });
    await closeServer(server);
    const results = await Promise.allSettled(Object.values(dependencies).map((d) => d.close()));
    for (const [i, result] of results.entries()) {
      if (result.status === 'rejected') logger.error({ err: result.reason, dependency: Object.keys(dependencies)[i] }, 'dependency did not close cleanly');
    }
    return true;
  })();

  const clean = await Promise.race([graceful, timedOut]);
  if (!clean) server.closeAllConnections();
  return clean;
}

function closeServer(server) {
  return new Promise((resolve, reject) => {
    if (!server.listening) {
      resolve();
      return;
    }
    // Keep-alive connections finish their current request, then are closed while idle.
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    sweep.unref();
    server.close((err) => {
      clearInterval(sweep);
      if (err) reject(err);
      else resolve();
    });
  });
}
