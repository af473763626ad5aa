import { readdirSync, readFileSync } from 'node:fs';
import { Router } from 'express';
import { methodNotAllowed } from '../middleware/method-not-allowed.ts';
import { projectRoot } from '../package-info.ts';

/** The parts of an OpenAPI document the service merges. */
export interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, unknown>; [key: string]: unknown };
  [key: string]: unknown;
}

/**
 * The OpenAPI 3.1 document: openapi.json (info, servers, shared components) merged with one
 * fragment per resource from openapi/ (paths and schemas), in file-name order. espresso keeps
 * both current as resources are added and removed.
 */
export function loadOpenApiDocument(): OpenApiDocument {
  const document = JSON.parse(readFileSync(new URL('openapi.json', projectRoot), 'utf8')) as OpenApiDocument;
  const fragments = readdirSync(new URL('openapi/', projectRoot))
    .filter((file) => file.endsWith('.json'))
    .toSorted();
  for (const file of fragments) {
    const fragment = JSON.parse(readFileSync(new URL(`openapi/${file}`, projectRoot), 'utf8')) as Partial<OpenApiDocument>;
    Object.assign(document.paths, fragment.paths);
    Object.assign(document.components.schemas, fragment.components?.schemas);
  }
  return document;
}

/**
 * Serves the merged document at /openapi.json. It is built on the first request and kept: start-up
 * does not read and merge a fragment per resource (the project's tests build and check it).
 */
export function openapiRouter(): Router {
  let body: string | undefined;
  const router = Router();
  router
    .route('/openapi.json')
    .get((_req, res) => {
      body ??= JSON.stringify(loadOpenApiDocument());
      res.type('application/json').send(body);
    })
    .all(methodNotAllowed('GET'));
  return router;
}
