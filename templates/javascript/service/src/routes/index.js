import { Router } from 'express';
import { apiVersions } from '../api-versions.js';
import { deprecation } from '../middleware/deprecation.js';
import { createRegistry } from '../relations.js';
// espresso:begin route-imports
// espresso:end route-imports

/** Routers of the API's resources, by version and path segment (`espresso add resource` registers them). */
export const resources = {
  // espresso:begin routes
  // espresso:end routes
};

/**
 * The service's API, mounted at /api: each version's resources under /api/<version>, a deprecated
 * version's answers with its Deprecation and Sunset headers. Every resource router shares one
 * registry, through which references between resources are checked; the nested lists the routers
 * add (`/v1/customers/:customerId/orders`) are mounted first, before the router of the resource
 * whose path they start with.
 *
 * @param {{ config: object, logger: import('pino').Logger, dependencies: object }} context
 * @returns {import('express').Router}
 */
export function apiRouter(context) {
  const registry = createRegistry();
  const routers = Object.entries(resources).map(([path, createRouter]) => [path, createRouter({ ...context, registry })]);
  const router = Router();
  for (const [version, policy] of Object.entries(apiVersions)) if (policy) router.use(`/${version}`, deprecation(policy));
  for (const nested of registry.nested) router.use(nested.path, nested.router);
  for (const [path, resourceRouter] of routers) router.use(`/${path}`, resourceRouter);
  return router;
}
