import { readdirSync, readFileSync } from 'node:fs';
import { Router } from 'express';
import { methodNotAllowed } from '../middleware/method-not-allowed.js';
import { projectRoot } from '../package-info.js';

/**
 * The OpenAPI 3.1 document: openapi.json (info, servers, shared components) merged with one
 * fragment per resource from openapi/ (paths and schemas), in file-name order. espresso keeps
 * both current as resources are added and removed.
 *
 * @returns {object}
 */
export function loadOpenApiDocument() {
  const document = JSON.parse(readFileSync(new URL('openapi.json', projectRoot), 'utf8'));
  const fragments = readdirSync(new URL('openapi/', projectRoot))
    .filter((file) => file.endsWith('.json'))
    .sort();
  for (const file of fragments) {
    const fragment = JSON.parse(readFileSync(new URL(`openapi/${file}`, projectRoot), 'utf8'));
    Object.assign(document.paths, fragment.paths);
    Object.assign(document.components.schemas, fragment.components?.schemas);
  }
  return document;
}

/**
 * Serves the merged document at /openapi.json. It is built on the first request and kept: start-up
 * does not read and merge a fragment per resource (the project's tests build and check it).
 */
export function openapiRouter() {
  /** @type {string | undefined} */
  let body;
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
