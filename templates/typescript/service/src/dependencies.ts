import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Metrics } from './metrics.ts';
// espresso:begin dependency-imports
// espresso:end dependency-imports

/** A backing service the service needs to be ready. */
export interface Dependency {
  name: string;
  /** Starts connecting; called once at start-up, not awaited. */
  connect?: () => Promise<void>;
  /**
   * Resolves when the service is reachable; without one (a telemetry exporter) the dependency is
   * closed on shutdown but not a readiness check.
   */
  check?: (signal: AbortSignal) => Promise<void>;
  /**
   * The service works without it (what uses it fails open): its state shows in /health, but it
   * never takes the service out of rotation.
   */
  optional?: boolean;
  /** Releases connections; called once on shutdown. */
  close: () => Promise<void>;
}

/** Factories of the backing services this project uses, by name. */
const factories: Record<string, (config: Config, logger: Logger, metrics: Metrics) => Dependency> = {
  // espresso:begin dependencies
  // espresso:end dependencies
};

/**
 * Creates every backing service client. Clients connect lazily, so start-up never blocks on a
 * dependency; readiness reports whether they are reachable.
 */
export function createDependencies(config: Config, logger: Logger, metrics: Metrics): Record<string, Dependency> {
  return Object.fromEntries(
    Object.entries(factories).map(([name, create]) => [name, create(config, logger.child({ dependency: name }), metrics)]),
  );
}
