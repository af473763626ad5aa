import type { RequestHandler } from 'express';

/**
 * The day a version was deprecated and the day after which it may stop answering (YYYY-MM-DD,
 * UTC), and the version that replaces it.
 */
export interface Deprecation {
  deprecated: string;
  sunset?: string;
  successor?: string;
}

/**
 * Announces on every answer under a deprecated API version that it is deprecated (RFC 9745
 * `Deprecation`, the moment as `@<seconds>`), when it may stop answering (RFC 8594 `Sunset`, the
 * end of its last day) and where its successor is (`Link: rel="successor-version"`, RFC 5829).
 */
export function deprecation({ deprecated, sunset, successor }: Deprecation): RequestHandler {
  const headers: Record<string, string> = { Deprecation: `@${Date.parse(`${deprecated}T00:00:00Z`) / 1000}` };
  if (sunset) headers['Sunset'] = new Date(`${sunset}T23:59:59Z`).toUTCString();
  const link = successor && `</api/${successor}>; rel="successor-version"`;
  return (_req, res, next) => {
    res.set(headers);
    if (link) res.append('Link', link);
    next();
  };
}
