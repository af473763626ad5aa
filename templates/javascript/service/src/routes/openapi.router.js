import { readFileSync } from 'node:fs';
import { Router } from 'express';

/**
 * Serves openapi.json, the OpenAPI 3.1 description of the API that espresso keeps current as
 * resources are added and removed. Read once at start-up.
 */
export function openapiRouter() {
  const document = readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8');
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(document);
  });
  return router;
}
