import { badRequest } from './errors.ts';

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

/**
 * Reads `limit` (1 to MAX_LIMIT, default DEFAULT_LIMIT) and `offset` (from 0) from a query
 * string. Anything else is a 400 problem rather than a silently corrected value.
 *
 * @param query `req.query`, read-only in Express 5
 */
export function pagination(query: Record<string, unknown>): { limit: number; offset: number } {
  return {
    limit: bounded(query['limit'], 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT),
    offset: bounded(query['offset'], 'offset', 0, 0, Number.MAX_SAFE_INTEGER),
  };
}

function bounded(raw: unknown, name: string, fallback: number, min: number, max: number) {
  if (raw === undefined) return fallback;
  const value = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= min && value <= max)) {
    const message = `must be an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}`;
    throw badRequest(`${name} ${message}.`, [{ field: name, message }]);
  }
  return value;
}
