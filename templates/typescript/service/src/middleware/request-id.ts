import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

/** An incoming id is reused only when it looks like an id: bounded length, no spaces or markup. */
const ACCEPTABLE_ID = /^[\w.:-]{1,128}$/;

/**
 * Gives every request an id (`req.id`): the caller's `X-Request-Id` when it is acceptable,
 * otherwise a new UUID. The id is echoed in the response header, every log line and every error.
 */
export function requestId(): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const id = incoming && ACCEPTABLE_ID.test(incoming) ? incoming : randomUUID();
    req.id = id;
    res.set('X-Request-Id', id);
    next();
  };
}
