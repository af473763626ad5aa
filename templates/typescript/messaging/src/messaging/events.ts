import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Dependency } from '../dependencies.ts';
import { packageInfo } from '../package-info.ts';

/** The request an event is published from: its id and trace context travel with the event. */
const requestContext = new AsyncLocalStorage<{ requestId: string | undefined; traceparent: string | undefined }>();

/** A W3C trace context header (version 00): anything else is not carried on. */
const TRACEPARENT = /^00-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;

/** The content type of an event on the wire: CloudEvents 1.0, structured mode, JSON. */
export const CONTENT_TYPE = 'application/cloudevents+json';

/** An event that can never be handled (not JSON, not a CloudEvent): it goes to the dead letters at once. */
export class PoisonEventError extends Error {
  override name = 'PoisonEventError';
}

/** A CloudEvents 1.0 event in its JSON form. */
export interface CloudEvent {
  specversion: '1.0';
  /** Unique per event: consumers recognise a redelivery by it. */
  id: string;
  /** The producing service: `/orders`. */
  source: string;
  /** `order.created`. */
  type: string;
  /** What it is about: the item's id. */
  subject?: string;
  /** RFC 3339. */
  time: string;
  datacontenttype: string;
  /** The id of the request that caused it (extension attribute). */
  requestid?: string;
  /** Its W3C trace context (the distributed tracing extension). */
  traceparent?: string;
  data: unknown;
}

/** One event as the broker handed it over. */
export interface Delivery {
  /** The message as sent. */
  body: string;
  /** This delivery's number: 1, or more after a failure or a crash. */
  attempts: number;
  /** The event is done with: the broker forgets it. */
  ack: () => Promise<void>;
  /** Moves it to the dead letters, then acknowledges it. */
  deadLetter: (reason: string) => Promise<void>;
}

/** A consumer group's flow of deliveries from the broker. */
export interface Subscription {
  /** Resolves once the broker delivers to it (its group or queue exists and is bound). */
  ready: Promise<void>;
  /** Stops taking deliveries; resolves once those in flight are done with. */
  stop: () => Promise<void>;
}

/** The message broker (src/messaging/broker.ts), a dependency like the others. */
export interface Broker extends Dependency {
  /** Resolves once the broker has the event. */
  publish: (event: CloudEvent) => Promise<void>;
  subscribe: (options: { group: string; types: string[]; concurrency: number; onDelivery: (delivery: Delivery) => Promise<void> }) => Subscription;
  /** Events waiting for `group`, by type. */
  lag: (group: string, types: string[]) => Promise<Record<string, number>>;
}

/**
 * Middleware that keeps the request's id and `traceparent` for the events its handlers publish,
 * so a trace and the logs follow an event from the request that caused it to its consumers.
 * Mounted by the routers of resources that publish, after the body is read.
 */
export function eventContext(): RequestHandler {
  return (req, _res, next) => {
    const traceparent = req.get('traceparent');
    requestContext.run({ requestId: typeof req.id === 'string' ? req.id : undefined, traceparent: traceparent && TRACEPARENT.test(traceparent) ? traceparent : undefined }, next);
  };
}

/** A new event from this service, with the current request's id and trace context when there is one. */
export function createEvent({ type, subject, data }: { type: string; subject?: string; data: unknown }): CloudEvent {
  const context = requestContext.getStore();
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: `/${packageInfo.name}`,
    type,
    ...(subject === undefined ? {} : { subject }),
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    ...(context?.requestId ? { requestid: context.requestId } : {}),
    ...(context?.traceparent ? { traceparent: context.traceparent } : {}),
    data,
  };
}

/**
 * An event as it came off the wire; a body that is not a CloudEvent of version 1.0 with an id,
 * source and type throws a PoisonEventError.
 */
export function parseEvent(body: string | Buffer): CloudEvent {
  let event: unknown;
  try {
    event = JSON.parse(body.toString());
  } catch (err) {
    throw new PoisonEventError('the message is not JSON', { cause: err });
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new PoisonEventError('the message is not a JSON object');
  const fields = event as Record<string, unknown>;
  if (fields['specversion'] !== '1.0') throw new PoisonEventError('the message is not a CloudEvents 1.0 event');
  for (const key of ['id', 'source', 'type']) {
    if (typeof fields[key] !== 'string' || fields[key] === '') throw new PoisonEventError(`the event has no ${key}`);
  }
  return event as CloudEvent;
}
