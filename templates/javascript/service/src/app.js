import cors from 'cors';
import express from 'express';
import helmet from 'helmet';
import { errorHandler } from './middleware/error-handler.js';
import { httpLogger } from './middleware/http-logger.js';
import { httpMetrics } from './middleware/http-metrics.js';
import { notFound } from './middleware/not-found.js';
import { requestId } from './middleware/request-id.js';
import { apiRouter } from './routes/index.js';
import { healthRouter } from './routes/health.router.js';
import { openapiRouter } from './routes/openapi.router.js';
import { createHealthService } from './services/health.service.js';
import { packageInfo } from './package-info.js';
// espresso:begin middleware-imports
// espresso:end middleware-imports

/**
 * Builds the Express application without listening, so tests can drive it with supertest.
 *
 * The middleware order is deliberate; each step relies on the ones before it:
 *  1. request id: every log line and error response can name the request;
 *  2. request logging: one line per response, probes only at debug level;
 *  3. security headers (helmet), then CORS from the configured allow-list;
 *  4. optional middleware added with `espresso add middleware` (compression, rate limiting, ...),
 *     before the body is read, so a request they refuse costs no parsing;
 *  5. metrics, timing everything below by route template;
 *  6. an API gateway's upstreams, whose requests stream through without being parsed;
 *  7. JSON body parsing with a size limit;
 *  8. probes, /metrics and /openapi.json, then the API under /api/<version>;
 *  9. 404 for anything unmatched, then the problem+json error handler.
 *
 * @param {object} options
 * @param {Readonly<Record<string, unknown>>} options.config validated configuration (see config.js)
 * @param {import('pino').Logger} options.logger
 * @param {Record<string, import('./dependencies.js').Dependency>} options.dependencies backing services
 * @param {ReturnType<import('./lifecycle.js').createLifecycle>} options.lifecycle draining state
 * @param {ReturnType<import('./metrics.js').createMetrics>} options.metrics Prometheus registry and HTTP metrics
 * @returns {import('express').Express}
 */
export function createApp({ config, logger, dependencies, lifecycle, metrics }) {
  const app = express();
  app.set('trust proxy', parseTrustProxy(config.TRUST_PROXY));
  app.set('env', config.NODE_ENV);

  app.use(requestId());
  app.use(httpLogger(logger));
  app.use(helmet());
  const cors = corsMiddleware(config.CORS_ORIGINS);
  if (cors) app.use(cors);
  // espresso:begin middleware
  // espresso:end middleware
  app.use(httpMetrics(metrics));
  // espresso:begin upstreams
  // espresso:end upstreams
  app.use(express.json({ limit: config.BODY_LIMIT }));

  const health = createHealthService({ dependencies, lifecycle, info: packageInfo });
  app.use(healthRouter({ health, metrics }));
  app.use(openapiRouter());
  app.use('/api', apiRouter({ config, logger, dependencies }));

  app.use(notFound);
  app.use(errorHandler({ exposeDetails: config.NODE_ENV === 'development' }));
  return app;
}

/**
 * Turns TRUST_PROXY into the value Express expects: a boolean, a hop count or an address list.
 * @param {string} value
 */
export function parseTrustProxy(value) {
  const text = value.trim();
  if (text === 'true') return true;
  if (text === 'false' || text === '') return false;
  if (/^\d+$/.test(text)) return Number(text);
  return text.split(',').map((part) => part.trim());
}

/**
 * CORS for a comma-separated allow-list of origins. An empty list needs no middleware at all:
 * without CORS headers, browsers refuse cross-origin calls.
 * @param {string} value
 * @returns {import('express').RequestHandler | undefined}
 */
export function corsMiddleware(value) {
  const origins = value
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  return origins.length > 0 ? cors({ origin: origins, maxAge: 600 }) : undefined;
}
