// espresso:begin worker-imports
// espresso:end worker-imports

/**
 * @typedef {object} Worker work a process does beside answering requests (an event consumer,
 *   the outbox relay)
 * @property {string} name
 * @property {() => void} start begins; called once the process serves
 * @property {() => Promise<void>} stop finishes what is in flight and stops; called once on
 *   shutdown, before the dependencies close
 */

/**
 * @typedef {object} WorkerContext
 * @property {Readonly<Record<string, any>>} config
 * @property {import('pino').Logger} logger
 * @property {ReturnType<typeof import('./metrics.js').createMetrics>} metrics
 * @property {Record<string, any>} dependencies
 * @property {'web' | 'consumer'} role the process: the web service, or `npm run consumer`
 */

/** Factories of the background work this project does; each returns nothing where it does not run. */
const factories = [
  // espresso:begin workers
  // espresso:end workers
];

/**
 * The workers of a process with this role.
 *
 * @param {WorkerContext} context
 * @returns {Worker[]}
 */
export function createWorkers(context) {
  return factories.map((create) => create(context)).filter((worker) => worker !== undefined);
}
