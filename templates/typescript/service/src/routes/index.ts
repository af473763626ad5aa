import { Router } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Dependency } from '../dependencies.ts';
// espresso:begin route-imports
// espresso:end route-imports

/** What every resource router is made with. */
export interface RouterContext {
  config: Config;
  logger: Logger;
  dependencies: Record<string, Dependency>;
}

/** Routers of the API's resources, by path segment (`espresso add resource` registers them). */
export const resources: Record<string, (context: RouterContext) => Router> = {
  // espresso:begin routes
  // espresso:end routes
};

/** The service's API, mounted at /api/v1. */
export function apiRouter(context: RouterContext): Router {
  const router = Router();
  for (const [path, createRouter] of Object.entries(resources)) {
    router.use(`/${path}`, createRouter(context));
  }
  return router;
}
