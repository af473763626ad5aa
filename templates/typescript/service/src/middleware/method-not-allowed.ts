import type { RequestHandler } from 'express';
import { HttpError } from '../errors.ts';

/**
 * The last handler of a route: any method the route does not serve is answered 405 with an
 * `Allow` header naming those it does (HEAD with GET, which Express answers from the GET handler),
 * as a problem rather than Express's default 404.
 *
 * @param methods the methods the route serves, in upper case
 */
export function methodNotAllowed(...methods: string[]): RequestHandler {
  const allowed = methods.includes('GET') && !methods.includes('HEAD') ? [...methods, 'HEAD'] : methods;
  const allow = allowed.join(', ');
  return (req, res, next) => {
    res.set('Allow', allow);
    next(new HttpError(405, 'method_not_allowed', `${req.method} is not allowed here; allowed: ${allow}.`));
  };
}
