import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { packageInfo } from '../package-info.js';

/** The request an event is published from: its id and trace context travel with the event. */
const requestContext = new AsyncLocalStorage();

/** A W3C trace context header (version 00): anything else is not carried on. */
const TRACEPARENT = /^00-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;

/** The content type of an event on the wire: CloudEvents 1.0, structured mode, JSON. */
export const CONTENT_TYPE = 'application/cloudevents+json';

/** An event that can never be handled (not JSON, not a CloudEvent): it goes to the dead letters at once. */
export class PoisonEventError extends Error {
  name = 'PoisonEventError';
}

/**
 * Middleware that keeps the request's id and `traceparent` for the events its handlers publish,
 * so a trace and the logs follow an event from the request that caused it to its consumers.
 * Mounted by the routers of resources that publish, after the body is read.
 *
 * @returns {import('express').RequestHandler}
 */
export function eventContext() {
  return (req, _res, next) => {
    const traceparent = req.get('traceparent');
    requestContext.run({ requestId: req.id, traceparent: traceparent && TRACEPARENT.test(traceparent) ? traceparent : undefined }, next);
  };
}

/**
 * @typedef {object} CloudEvent a CloudEvents 1.0 event in its JSON form
 * @property {'1.0'} specversion
 * @property {string} id unique per event: consumers recognise a redelivery by it
 * @property {string} source the producing service: `/orders`
 * @property {string} type `order.created`
 * @property {string} [subject] what it is about: the item's id
 * @property {string} time RFC 3339
 * @property {string} datacontenttype
 * @property {string} [requestid] the id of the request that caused it (extension attribute)
 * @property {string} [traceparent] its W3C trace context (the distributed tracing extension)
 * @property {unknown} data
 */

/**
 * A new event from this service, with the current request's id and trace context when there is one.
 *
 * @param {{ type: string, subject?: string, data: unknown }} fields
 * @returns {CloudEvent}
 */
export function createEvent({ type, subject, data }) {
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
 *
 * @param {string | Buffer} body
 * @returns {CloudEvent}
 */
export function parseEvent(body) {
  let event;
  try {
    event = JSON.parse(body.toString());
  } catch (err) {
    throw new PoisonEventError('the message is not JSON', { cause: err });
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new PoisonEventError('the message is not a JSON object');
  if (event.specversion !== '1.0') throw new PoisonEventError('the message is not a CloudEvents 1.0 event');
  for (const key of ['id', 'source', 'type']) {
    if (typeof event[key] !== 'string' || event[key] === '') throw new PoisonEventError(`the event has no ${key}`);
  }
  return event;
}
