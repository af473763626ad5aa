import { STATUS_CODES } from 'node:http';

/** One problem with one field of a request, as clients see it in `errors`. */
export interface FieldError {
  field: string | null;
  message: string;
}

/**
 * The one error type the service throws on purpose: an HTTP status, a stable machine-readable
 * code and a human-readable detail. The error handler turns it into application/problem+json.
 */
export class HttpError extends Error {
  declare readonly status: number;
  declare readonly code: string;
  declare readonly errors: FieldError[] | undefined;

  /**
   * @param status HTTP status code
   * @param code stable identifier, e.g. `not_found`
   * @param detail explanation for this occurrence, safe to show to clients
   * @param options cause for the logs; per-field errors for clients
   */
  constructor(status: number, code: string, detail = STATUS_CODES[status], options: { cause?: unknown; errors?: FieldError[] | undefined } = {}) {
    super(detail, { cause: options.cause });
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.errors = options.errors;
  }
}

export const badRequest = (detail: string, errors?: FieldError[]) => new HttpError(400, 'bad_request', detail, { errors });
export const notFoundError = (detail: string) => new HttpError(404, 'not_found', detail);
export const conflict = (detail: string, options?: { cause?: unknown; errors?: FieldError[] }) => new HttpError(409, 'conflict', detail, options);
/** A field refers to an item that does not exist: the request is well-formed but cannot apply. */
export const unprocessable = (field: string, detail: string) => new HttpError(422, 'unprocessable', detail, { errors: [{ field, message: 'refers to no item' }] });
