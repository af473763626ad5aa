import { badRequest } from './errors.js';
import { pagination } from './pagination.js';

/**
 * How a list filters and sorts by a field: `text` (strings, emails, URLs, enums; sorted by code
 * point), `uuid`, `integer`, `number`, `decimal` (exact, as a string), `boolean`, `date`,
 * `datetime`. The ordered kinds also take ranges.
 *
 * @typedef {'text' | 'uuid' | 'integer' | 'number' | 'decimal' | 'boolean' | 'date' | 'datetime'} FilterKind
 * @typedef {'eq' | 'gt' | 'gte' | 'lt' | 'lte'} Operator
 * @typedef {{ field: string, op: Operator, value: unknown }} Filter
 * @typedef {{ field: string, descending: boolean }} SortKey
 * @typedef {{ limit: number, offset: number, filters: Filter[], sort: SortKey[] }} ListQuery
 * @typedef {{ kinds: Record<string, FilterKind>, check: (field: string, value: unknown) => string | null }} ListFields
 *   `check` also checks the timestamps (`createdAt`, `updatedAt`), which are not in `kinds`.
 */

const ORDERED = new Set(['integer', 'number', 'decimal', 'date', 'datetime']);
const PARAMETER = /^([A-Za-z][A-Za-z0-9]*)(?:\[(gt|gte|lt|lte)\])?$/;

/** Sort keys a list takes at most: enough for a tie-break, few enough to stay cheap. */
export const MAX_SORT_KEYS = 3;

/** The timestamps every item has, which lists also sort and filter by. */
export const TIMESTAMPS = { createdAt: 'datetime', updatedAt: 'datetime' };

/**
 * Reads a list's query string: `limit` and `offset`, a filter per field (`status=paid`, and for
 * ordered kinds `total[gte]=10`, `total[lt]=100`), and `sort` (`sort=-createdAt,total`: up to
 * MAX_SORT_KEYS fields, `-` for descending). A parameter that is not one of these, given twice,
 * or with a value the field's schema refuses is a 400 problem naming every one.
 *
 * @param {Record<string, unknown>} query `req.query` (Express 5's simple parser: `a[b]` stays one key)
 * @param {ListFields} fields the resource's filterable fields and a check of one value
 * @returns {ListQuery}
 */
export function listQuery(query, { kinds, check }) {
  const page = pagination(query);
  const problems = [];
  const filters = [];
  let sort = [];
  for (const [key, raw] of Object.entries(query)) {
    if (key === 'limit' || key === 'offset') continue;
    if (typeof raw !== 'string') {
      problems.push({ field: key, message: 'is given more than once' });
    } else if (key === 'sort') {
      sort = sortKeys(raw, kinds, problems);
    } else {
      const [, field = '', op = 'eq'] = PARAMETER.exec(key) ?? [];
      const kind = Object.hasOwn(kinds, field) ? kinds[field] : Object.hasOwn(TIMESTAMPS, field) ? 'datetime' : undefined;
      if (kind === undefined || (op !== 'eq' && !ORDERED.has(kind))) {
        problems.push({ field: key, message: 'is not a known parameter' });
        continue;
      }
      const value = fromText(raw, kind);
      const problem = check(field, value);
      if (problem) problems.push({ field: key, message: problem });
      else filters.push({ field, op: /** @type {Operator} */ (op), value });
    }
  }
  if (problems.length > 0) throw badRequest('The query string is invalid.', problems);
  return { ...page, filters, sort };
}

/** The sort keys of `raw`, with a problem for each part that is not a sortable field. */
function sortKeys(raw, kinds, problems) {
  const keys = raw.split(',').map((part) => ({ field: part.replace(/^-/, ''), descending: part.startsWith('-') }));
  for (const { field } of keys) {
    if (!Object.hasOwn(kinds, field) && !Object.hasOwn(TIMESTAMPS, field)) {
      problems.push({ field: 'sort', message: `cannot sort by \`${field}\`` });
    }
  }
  if (keys.length > MAX_SORT_KEYS) problems.push({ field: 'sort', message: `takes at most ${MAX_SORT_KEYS} fields` });
  return keys;
}

/** A query string's text as the value the field's schema checks: numbers and booleans converted. */
function fromText(raw, kind) {
  if ((kind === 'integer' || kind === 'number') && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(raw)) return Number(raw);
  if (kind === 'boolean' && (raw === 'true' || raw === 'false')) return raw === 'true';
  return raw;
}

/** The sign, whole digits and fraction digits of a decimal string. */
function decimalParts(text) {
  const [whole, fraction = ''] = text.replace(/^-/, '').split('.');
  return { negative: text.startsWith('-'), whole, fraction };
}

/** -1, 0 or 1 as decimal strings `a` and `b` compare by value (`10` equals `10.00`). */
function compareDecimals(a, b) {
  const [x, y] = [decimalParts(a), decimalParts(b)];
  const width = Math.max(x.fraction.length, y.fraction.length);
  const scaled = (p) => BigInt(p.whole + p.fraction.padEnd(width, '0')) * (p.negative ? -1n : 1n);
  const [m, n] = [scaled(x), scaled(y)];
  return m < n ? -1 : m > n ? 1 : 0;
}

/** -1, 0 or 1 as strings compare by code point, as PostgreSQL's "C" collation orders UTF-8. */
function compareCodePoints(a, b) {
  let [i, j] = [0, 0];
  while (i < a.length && j < b.length) {
    const [x, y] = [a.codePointAt(i) ?? 0, b.codePointAt(j) ?? 0];
    if (x !== y) return x < y ? -1 : 1;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  return Math.sign(a.length - i - (b.length - j));
}

/**
 * -1, 0 or 1 as two non-null values of `kind` compare, exactly as PostgreSQL compares the column.
 *
 * @param {unknown} a
 * @param {unknown} b
 * @param {FilterKind} kind
 */
export function compareValues(a, b, kind) {
  switch (kind) {
    case 'integer':
    case 'number':
      return Math.sign(Number(a) - Number(b));
    case 'decimal':
      return compareDecimals(String(a), String(b));
    case 'boolean':
      return Math.sign(Number(a) - Number(b));
    case 'datetime':
      return Math.sign(Date.parse(String(a)) - Date.parse(String(b)));
    case 'uuid':
      return compareCodePoints(String(a).toLowerCase(), String(b).toLowerCase());
    default:
      return compareCodePoints(String(a), String(b));
  }
}

const HOLDS = {
  eq: (c) => c === 0,
  gt: (c) => c > 0,
  gte: (c) => c >= 0,
  lt: (c) => c < 0,
  lte: (c) => c <= 0,
};

/**
 * The page of `items` (in creation order) that `query` asks for, with the total that match:
 * filters never match null, as in SQL; sort keys put nulls last in both directions, then order
 * by id, as the PostgreSQL repository does.
 *
 * @template {{ id: string }} T
 * @param {T[]} items
 * @param {ListQuery} query
 * @param {Record<string, FilterKind>} kinds
 * @returns {{ items: T[], total: number }}
 */
export function selectPage(items, { limit, offset, filters, sort }, kinds) {
  const kindOf = (field) => (Object.hasOwn(kinds, field) ? kinds[field] : 'datetime');
  const matching = items.filter((item) =>
    filters.every(({ field, op, value }) => item[field] !== null && item[field] !== undefined && HOLDS[op](compareValues(item[field], value, kindOf(field)))),
  );
  if (sort.length > 0) {
    matching.sort((a, b) => {
      for (const { field, descending } of sort) {
        const [x, y] = [a[field], b[field]];
        if (x === null || y === null) {
          if (x !== y) return x === null ? 1 : -1;
          continue;
        }
        const c = compareValues(x, y, kindOf(field));
        if (c !== 0) return descending ? -c : c;
      }
      return compareCodePoints(a.id, b.id);
    });
  }
  return { items: matching.slice(offset, offset + limit), total: matching.length };
}
