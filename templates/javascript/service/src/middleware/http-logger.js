import { pinoHttp } from 'pino-http';

/** Probe and scrape routes: requested every few seconds, logged only at debug level. */
export const quietPaths = new Set(['/live', '/ready', '/health', '/metrics']);

/**
 * One log line per response (pino-http), carrying the request id. Server errors log at error,
 * client errors at warn, probes at debug; authorization and cookie headers are redacted by the logger.
 *
 * @param {import('pino').Logger} logger
 */
export function httpLogger(logger) {
  return pinoHttp({
    logger,
    genReqId: (req) => req.id,
    customLogLevel(req, res, err) {
      if (err || res.statusCode >= 500) return 'error';
      if (res.statusCode >= 400) return 'warn';
      return quietPaths.has(req.url) ? 'debug' : 'info';
    },
  });
}
