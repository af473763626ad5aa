// espresso:begin consumer-imports
// espresso:end consumer-imports

/**
 * The handler of each event type this service consumes (`espresso add consumer <type>` registers
 * one). The consumer group receives exactly these types.
 *
 * @type {Record<string, import('../messaging/consumer.js').Handler>}
 */
export const handlers = {
  // espresso:begin consumers
  // espresso:end consumers
};
