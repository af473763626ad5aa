import { STATUS_CODES } from 'node:http';
import { HttpError } from '../errors.js';

/**
 * Answers every error as application/problem+json (RFC 9457). Client errors keep their detail;
 * server errors are reported generically and their cause goes to the request log line, never to
 * the client. Stack traces are included only in development.
 *
 * @param {{ exposeDetails: boolean }} options
 */
export function errorHandler({ exposeDetails }) {
  return (err, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    sendProblem(req, res, err, { exposeDetails });
  };
}

/**
 * Writes `err` as an application/problem+json response. Also used by middleware that must
 * answer on its own (a timeout fires outside the middleware chain).
 *
 * @param {import('express').Request} req
 * @param {import('express').Response} res
 * @param {unknown} err
 * @param {{ exposeDetails?: boolean }} [options]
 */
export function sendProblem(req, res, err, { exposeDetails = false } = {}) {
  const { status, code, detail, errors } = describe(err);
  if (status >= 500) res.err = err; // pino-http logs it with the response line

  const problem = {
    type: 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    instance: req.originalUrl,
    code,
    requestId: req.id,
  };
  if (errors) problem.errors = errors;
  if (exposeDetails && status >= 500) problem.stack = err.stack;
  res.status(status).type('application/problem+json').json(problem);
}

function describe(err) {
  if (err instanceof HttpError) {
    return { status: err.status, code: err.code, detail: err.message, errors: err.errors };
  }
  // Errors from body-parser and other http-errors style middleware carry a safe 4xx status.
  const status = Number(err.status ?? err.statusCode);
  if (Number.isInteger(status) && status >= 400 && status < 500 && err.expose !== false) {
    return { status, code: (err.type ?? 'bad_request').replaceAll('.', '_'), detail: err.message };
  }
  return { status: 500, code: 'internal_error', detail: 'The server could not complete the request.' };
}
