// espresso:begin dependency-imports
// espresso:end dependency-imports

/**
 * @typedef {object} Dependency a backing service the service needs to be ready
 * @property {string} name
 * @property {() => Promise<void>} [connect] starts connecting; called once at start-up, not awaited
 * @property {(signal: AbortSignal) => Promise<void>} [check] resolves when the service is reachable;
 *   without one (a telemetry exporter) the dependency is closed on shutdown but not a readiness check
 * @property {boolean} [optional] the service works without it (what uses it fails open): its state
 *   shows in /health, but it never takes the service out of rotation
 * @property {() => Promise<void>} close releases connections; called once on shutdown
 */

/** Factories of the backing services this project uses, by name. */
const factories = {
  // espresso:begin dependencies
  // espresso:end dependencies
};

/**
 * Creates every backing service client. Clients connect lazily, so start-up never blocks on a
 * dependency; readiness reports whether they are reachable.
 *
 * @param {Readonly<Record<string, any>>} config
 * @param {import('pino').Logger} logger
 * @param {ReturnType<typeof import('./metrics.js').createMetrics>} metrics where a client counts its work
 * @returns {Record<string, Dependency>}
 */
export function createDependencies(config, logger, metrics) {
  return Object.fromEntries(
    Object.entries(factories).map(([name, create]) => [name, create(config, logger.child({ dependency: name }), metrics)]),
  );
}
