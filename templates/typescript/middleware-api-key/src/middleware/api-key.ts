import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from '../errors.ts';

const digest = (key: string) => createHash('sha256').update(key).digest();

/**
 * Requires a valid `X-API-Key` header. Keys come from API_KEYS (comma-separated, so a new key
 * can be added before the old one is removed). They are compared as SHA-256 digests with
 * timingSafeEqual, so neither their content nor their length leaks through response times.
 * Mounted on /api/v1: probes and /metrics stay open to the platform.
 */
export function apiKey({ API_KEYS = '' }: { API_KEYS?: string | undefined }): RequestHandler {
  const accepted = API_KEYS.split(',')
    .map((key) => key.trim())
    .filter(Boolean)
    .map(digest);
  return (req, _res, next) => {
    const presented = req.get('x-api-key');
    const given = presented ? digest(presented) : null;
    const valid = given !== null && accepted.some((key) => timingSafeEqual(key, given));
    next(valid ? undefined : new HttpError(401, 'invalid_api_key', 'A valid X-API-Key header is required.'));
  };
}
