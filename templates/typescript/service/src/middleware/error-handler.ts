import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, Request, Response } from 'express';
import { HttpError } from '../errors.ts';
import type { FieldError } from '../errors.ts';

/**
 * Answers every error as application/problem+json (RFC 9457). Client errors keep their detail;
 * server errors are reported generically and their cause goes to the request log line, never to
 * the client. Stack traces are included only in development.
 */
export function errorHandler({ exposeDetails }: { exposeDetails: boolean }): ErrorRequestHandler {
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
 */
export function sendProblem(req: Request, res: Response, err: unknown, { exposeDetails = false }: { exposeDetails?: boolean } = {}): void {
  const { status, code, detail, errors } = describe(err);
  if (status >= 500) res.err = err as Error; // pino-http logs it with the response line

  const problem: Record<string, unknown> = {
    type: 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    instance: req.originalUrl,
    code,
    requestId: req.id,
  };
  if (errors) problem['errors'] = errors;
  if (exposeDetails && status >= 500) problem['stack'] = (err as Error | undefined)?.stack;
  res.status(status).type('application/problem+json').json(problem);
}

/** What http-errors style errors (body-parser's) carry. */
interface StatusError {
  status?: unknown;
  statusCode?: unknown;
  expose?: boolean;
  type?: string;
  message?: string;
}

function describe(err: unknown): { status: number; code: string; detail: string | undefined; errors?: FieldError[] | undefined } {
  if (err instanceof HttpError) {
    return { status: err.status, code: err.code, detail: err.message, errors: err.errors };
  }
  // Errors from body-parser and other http-errors style middleware carry a safe 4xx status.
  const e = (err ?? {}) as StatusError;
  const status = Number(e.status ?? e.statusCode);
  if (Number.isInteger(status) && status >= 400 && status < 500 && e.expose !== false) {
    return { status, code: (e.type ?? 'bad_request').replaceAll('.', '_'), detail: e.message };
  }
  return { status: 500, code: 'internal_error', detail: 'The server could not complete the request.' };
}
