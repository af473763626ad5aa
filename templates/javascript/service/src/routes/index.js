import { Router } from 'express';
// espresso:begin route-imports
// espresso:end route-imports

/** Routers of the API's resources, by path segment (`espresso add resource` registers them). */
export const resources = {
  // espresso:begin routes
  // espresso:end routes
};

/**
 * The service's API, mounted at /api/v1.
 *
 * @param {{ config: object, logger: import('pino').Logger, dependencies: object }} context
 * @returns {import('express').Router}
 */
export function apiRouter(context) {
  const router = Router();
  for (const [path, createRouter] of Object.entries(resources)) {
    router.use(`/${path}`, createRouter(context));
  }
  return router;
}
