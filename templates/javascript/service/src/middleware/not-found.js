import { HttpError } from '../errors.js';

/** Anything no router answered becomes a 404 problem. */
export function notFound(req, _res, next) {
  next(new HttpError(404, 'not_found', `No route for ${req.method} ${req.path}`));
}
