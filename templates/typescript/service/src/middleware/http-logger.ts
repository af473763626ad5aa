import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';

/** Probe and scrape routes: requested every few seconds, logged only at debug level. */
export const quietPaths = new Set(['/live', '/ready', '/health', '/metrics']);

/**
 * One log line per response (pino-http), carrying the request id. Server errors log at error,
 * client errors at warn, probes at debug.
 *
 * The serializers keep what an access log needs and leave headers out: pino-http serializes the
 * request into a child logger on every request, even one logged at a disabled level, so this
 * stays cheap, and whole header sets would put personal data in the logs. Credentials are
 * redacted by the logger wherever headers do appear.
 */
export function httpLogger(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: (req) => req.id,
    serializers: {
      req: (req: { id: unknown; method: string; url: string; remoteAddress: string; headers: Record<string, string | undefined> }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
        remoteAddress: req.remoteAddress,
        userAgent: req.headers['user-agent'],
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel(req, res, err) {
      if (err || res.statusCode >= 500) return 'error';
      if (res.statusCode >= 400) return 'warn';
      return quietPaths.has(req.url ?? '') ? 'debug' : 'info';
    },
  });
}
