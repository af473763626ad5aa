import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Dependency } from './dependencies.ts';
import type { Metrics } from './metrics.ts';
// espresso:begin worker-imports
// espresso:end worker-imports

/** Work a process does beside answering requests (an event consumer, the outbox relay). */
export interface Worker {
  name: string;
  /** Begins; called once the process serves. */
  start: () => void;
  /** Finishes what is in flight and stops; called once on shutdown, before the dependencies close. */
  stop: () => Promise<void>;
}

/** What a worker is made from. */
export interface WorkerContext {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** The backing services (src/dependencies.ts); each worker narrows those it uses. */
  dependencies: Record<string, Dependency>;
  /** The process: the web service, or `npm run consumer`. */
  role: 'web' | 'consumer';
}

/** Factories of the background work this project does; each returns nothing where it does not run. */
const factories: ((context: WorkerContext) => Worker | undefined)[] = [
  // espresso:begin workers
  // espresso:end workers
];

/** The workers of a process with this role. */
export function createWorkers(context: WorkerContext): Worker[] {
  return factories.map((create) => create(context)).filter((worker) => worker !== undefined);
}
