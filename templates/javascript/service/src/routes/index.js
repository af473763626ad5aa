import { Router } from 'express';
import { createRegistry } from '../relations.js';
// espresso:begin route-imports
// espresso:end route-imports

/** Routers of the API's resources, by path segment (`espresso add resource` registers them). */
export const resources = {
  // espresso:begin routes
  // espresso:end routes
};

/**
 * The service's API, mounted at /api/v1. Every resource router shares one registry, through
 * which references between resources are checked; the nested lists the routers add
 * (`/customers/:customerId/orders`) are mounted first, before the router of the resource whose
 * path they start with.
 *
 * @param {{ config: object, logger: import('pino').Logger, dependencies: object }} context
 * @returns {import('express').Router}
 */
export function apiRouter(context) {
  const registry = createRegistry();
  const routers = Object.entries(resources).map(([path, createRouter]) => [path, createRouter({ ...context, registry })]);
  const router = Router();
  for (const nested of registry.nested) router.use(nested.path, nested.router);
  for (const [path, resourceRouter] of routers) router.use(`/${path}`, resourceRouter);
  return router;
}
