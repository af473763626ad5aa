import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';
import { packageInfo } from './package-info.ts';

/** Header values that must never reach the logs. */
export const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
];

/**
 * File descriptor 1, written synchronously. PM2's cluster workers are the exception: PM2 collects
 * their output from process.stdout, and what is written to the descriptor itself is lost.
 */
function stdout(): DestinationStream {
  return process.env['pm_id'] === undefined ? pino.destination({ dest: 1, sync: true }) : process.stdout;
}

/**
 * JSON logger on stdout. Writes are synchronous: pino's default asynchronous buffer grows without
 * bound when stdout cannot keep up with a saturated service, while a synchronous write applies
 * backpressure to the request that logs.
 *
 * @param destination stdout unless given (tests pass their own)
 */
export function createLogger(config: { LOG_LEVEL: string }, destination: DestinationStream = stdout()): Logger {
  return pino(
    {
      level: config.LOG_LEVEL,
      base: { service: packageInfo.name, version: packageInfo.version },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactedPaths, censor: '[redacted]' },
    },
    destination,
  );
}
