import type { RequestHandler } from 'express';
import { HttpError } from '../errors.ts';

/** Anything no router answered becomes a 404 problem. */
export const notFound: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'not_found', `No route for ${req.method} ${req.path}`));
};
