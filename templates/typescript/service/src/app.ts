import cors from 'cors';
import express from 'express';
import helmet from 'helmet';
import { errorHandler } from './middleware/error-handler.ts';
import { httpLogger } from './middleware/http-logger.ts';
import { httpMetrics } from './middleware/http-metrics.ts';
import { notFound } from './middleware/not-found.ts';
import { requestId } from './middleware/request-id.ts';
import { apiRouter } from './routes/index.ts';
import { healthRouter } from './routes/health.router.ts';
import { openapiRouter } from './routes/openapi.router.ts';
import { createHealthService } from './services/health.service.ts';
import { packageInfo } from './package-info.ts';
import type { Express, RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Dependency } from './dependencies.ts';
import type { Lifecycle } from './lifecycle.ts';
import type { Metrics } from './metrics.ts';
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
 */
export function createApp({
  config,
  logger,
  dependencies,
  lifecycle,
  metrics,
}: {
  config: Config;
  logger: Logger;
  dependencies: Record<string, Dependency>;
  lifecycle: Lifecycle;
  metrics: Metrics;
}): Express {
  const app = express();
  app.set('trust proxy', parseTrustProxy(config.TRUST_PROXY));
  app.set('env', config.NODE_ENV);

  app.use(requestId());
  app.use(httpLogger(logger));
  app.use(helmet());
  const allowOrigins = corsMiddleware(config.CORS_ORIGINS);
  if (allowOrigins) app.use(allowOrigins);
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

/** Turns TRUST_PROXY into the value Express expects: a boolean, a hop count or an address list. */
export function parseTrustProxy(value: string): boolean | number | string[] {
  const text = value.trim();
  if (text === 'true') return true;
  if (text === 'false' || text === '') return false;
  if (/^\d+$/.test(text)) return Number(text);
  return text.split(',').map((part) => part.trim());
}

/**
 * CORS for a comma-separated allow-list of origins. An empty list needs no middleware at all:
 * without CORS headers, browsers refuse cross-origin calls.
 */
export function corsMiddleware(value: string): RequestHandler | undefined {
  const origins = value
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  return origins.length > 0 ? cors({ origin: origins, maxAge: 600 }) : undefined;
}
