import type { RequestHandler } from 'express';
import { HttpError } from '../errors.ts';
import { sendProblem } from './error-handler.ts';

declare module 'express-serve-static-core' {
  interface Locals {
    /** Aborts when the request times out or the client goes away; set by requestTimeout(). */
    signal?: AbortSignal;
  }
}

/**
 * Answers 503 (`request_timeout`) when the response has not started within
 * REQUEST_HANDLER_TIMEOUT_MS, instead of leaving the client waiting. Express cannot stop a
 * handler, so `res.locals.signal` aborts at the same moment (and when the client goes away):
 * pass it to fetch, database queries and timers so the work stops too. A late handler should
 * check `res.headersSent` before answering.
 */
export function requestTimeout({ REQUEST_HANDLER_TIMEOUT_MS: limit }: { REQUEST_HANDLER_TIMEOUT_MS: number }): RequestHandler {
  return (req, res, next) => {
    const controller = new AbortController();
    // Node 24 gives each request a read-only signal that aborts when the client disconnects.
    const { signal } = req as { signal?: AbortSignal };
    res.locals.signal = signal ? AbortSignal.any([controller.signal, signal]) : controller.signal;
    const timer = setTimeout(() => {
      const error = new HttpError(503, 'request_timeout', `The request took longer than ${limit} ms.`);
      controller.abort(error);
      if (!res.headersSent) {
        res.set('Connection', 'close');
        sendProblem(req, res, error);
      }
    }, limit);
    res.once('close', () => clearTimeout(timer));
    next();
  };
}
