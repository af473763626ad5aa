import type { Handler } from '../messaging/consumer.ts';
// espresso:begin consumer-imports
// espresso:end consumer-imports

/**
 * The handler of each event type this service consumes (`espresso add consumer <type>` registers
 * one). The consumer group receives exactly these types.
 */
export const handlers: Record<string, Handler> = {
  // espresso:begin consumers
  // espresso:end consumers
};
