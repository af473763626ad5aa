import { STATUS_CODES } from 'node:http';

/**
 * The one error type the service throws on purpose: an HTTP status, a stable machine-readable
 * code and a human-readable detail. The error handler turns it into application/problem+json.
 */
export class HttpError extends Error {
  /**
   * @param {number} status HTTP status code
   * @param {string} code stable identifier, e.g. `not_found`
   * @param {string} [detail] explanation for this occurrence, safe to show to clients
   * @param {{ cause?: unknown, errors?: unknown[] }} [options] cause for the logs; per-field errors for clients
   */
  constructor(status, code, detail = STATUS_CODES[status], options = {}) {
    super(detail, { cause: options.cause });
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.errors = options.errors;
  }
}

/** @param {string} detail */
export const badRequest = (detail, errors) => new HttpError(400, 'bad_request', detail, { errors });
/** @param {string} detail */
export const notFoundError = (detail) => new HttpError(404, 'not_found', detail);
/** @param {string} detail */
export const conflict = (detail, options) => new HttpError(409, 'conflict', detail, options);
/**
 * A field refers to an item that does not exist: the request is well-formed but cannot apply.
 *
 * @param {string} field
 * @param {string} detail
 */
export const unprocessable = (field, detail, options) =>
  new HttpError(422, 'unprocessable', detail, { ...options, errors: [{ field, message: 'refers to no item' }] });
