import { Router } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Dependency } from '../dependencies.ts';
import { apiVersions } from '../api-versions.ts';
import { deprecation } from '../middleware/deprecation.ts';
import { createRegistry } from '../relations.ts';
import type { Registry } from '../relations.ts';
// espresso:begin route-imports
// espresso:end route-imports

/** What the API is made with. */
export interface ApiContext {
  config: Config;
  logger: Logger;
  dependencies: Record<string, Dependency>;
}

/** What every resource router is made with: the API's context, and the registry all of them share. */
export interface RouterContext extends ApiContext {
  registry: Registry;
}

/** Routers of the API's resources, by version and path segment (`espresso add resource` registers them). */
export const resources: Record<string, (context: RouterContext) => Router> = {
  // espresso:begin routes
  // espresso:end routes
};

/**
 * The service's API, mounted at /api: each version's resources under /api/<version>, a deprecated
 * version's answers with its Deprecation and Sunset headers. Every resource router shares one
 * registry, through which references between resources are checked; the nested lists the routers
 * add (`/v1/customers/:customerId/orders`) are mounted first, before the router of the resource
 * whose path they start with.
 */
export function apiRouter(context: ApiContext): Router {
  const registry = createRegistry();
  const routers = Object.entries(resources).map(([path, createRouter]) => [path, createRouter({ ...context, registry })] as const);
  const router = Router();
  for (const [version, policy] of Object.entries(apiVersions)) if (policy) router.use(`/${version}`, deprecation(policy));
  for (const nested of registry.nested) router.use(nested.path, nested.router);
  for (const [path, resourceRouter] of routers) router.use(`/${path}`, resourceRouter);
  return router;
}
