import { badRequest } from './errors.ts';
import type { FieldError } from './errors.ts';
import { pagination } from './pagination.ts';

/**
 * How a list filters and sorts by a field: `text` (strings, emails, URLs, enums; sorted by code
 * point), `uuid`, `integer`, `number`, `decimal` (exact, as a string), `boolean`, `date`,
 * `datetime`. The ordered kinds also take ranges.
 */
export type FilterKind = 'text' | 'uuid' | 'integer' | 'number' | 'decimal' | 'boolean' | 'date' | 'datetime';
export type Operator = 'eq' | 'gt' | 'gte' | 'lt' | 'lte';
export interface Filter {
  field: string;
  op: Operator;
  value: unknown;
}
export interface SortKey {
  field: string;
  descending: boolean;
}
export interface ListQuery {
  limit: number;
  offset: number;
  filters: Filter[];
  sort: SortKey[];
}
/** A resource's filterable fields; `check` also checks the timestamps, which are not in `kinds`. */
export interface ListFields {
  kinds: Readonly<Record<string, FilterKind>>;
  check: (field: string, value: unknown) => string | null;
}

const ORDERED = new Set<FilterKind>(['integer', 'number', 'decimal', 'date', 'datetime']);
const PARAMETER = /^([A-Za-z][A-Za-z0-9]*)(?:\[(gt|gte|lt|lte)\])?$/;

/** Sort keys a list takes at most: enough for a tie-break, few enough to stay cheap. */
export const MAX_SORT_KEYS = 3;

/** The timestamps every item has, which lists also sort and filter by. */
export const TIMESTAMPS: Readonly<Record<string, FilterKind>> = { createdAt: 'datetime', updatedAt: 'datetime' };

const kindIn = (kinds: Readonly<Record<string, FilterKind>>, field: string): FilterKind | undefined =>
  Object.hasOwn(kinds, field) ? kinds[field] : Object.hasOwn(TIMESTAMPS, field) ? 'datetime' : undefined;

/**
 * Reads a list's query string: `limit` and `offset`, a filter per field (`status=paid`, and for
 * ordered kinds `total[gte]=10`, `total[lt]=100`), and `sort` (`sort=-createdAt,total`: up to
 * MAX_SORT_KEYS fields, `-` for descending). A parameter that is not one of these, given twice,
 * or with a value the field's schema refuses is a 400 problem naming every one.
 *
 * @param query `req.query` (Express 5's simple parser: `a[b]` stays one key)
 */
export function listQuery(query: Record<string, unknown>, { kinds, check }: ListFields): ListQuery {
  const page = pagination(query);
  const problems: FieldError[] = [];
  const filters: Filter[] = [];
  let sort: SortKey[] = [];
  for (const [key, raw] of Object.entries(query)) {
    if (key === 'limit' || key === 'offset') continue;
    if (typeof raw !== 'string') {
      problems.push({ field: key, message: 'is given more than once' });
    } else if (key === 'sort') {
      sort = sortKeys(raw, kinds, problems);
    } else {
      const [, field = '', op = 'eq'] = PARAMETER.exec(key) ?? [];
      const kind = kindIn(kinds, field);
      if (kind === undefined || (op !== 'eq' && !ORDERED.has(kind))) {
        problems.push({ field: key, message: 'is not a known parameter' });
        continue;
      }
      const value = fromText(raw, kind);
      const problem = check(field, value);
      if (problem) problems.push({ field: key, message: problem });
      else filters.push({ field, op: op as Operator, value });
    }
  }
  if (problems.length > 0) throw badRequest('The query string is invalid.', problems);
  return { ...page, filters, sort };
}

/** The sort keys of `raw`, with a problem for each part that is not a sortable field. */
function sortKeys(raw: string, kinds: Readonly<Record<string, FilterKind>>, problems: FieldError[]): SortKey[] {
  const keys = raw.split(',').map((part) => ({ field: part.replace(/^-/, ''), descending: part.startsWith('-') }));
  for (const { field } of keys) {
    if (kindIn(kinds, field) === undefined) problems.push({ field: 'sort', message: `cannot sort by \`${field}\`` });
  }
  if (keys.length > MAX_SORT_KEYS) problems.push({ field: 'sort', message: `takes at most ${MAX_SORT_KEYS} fields` });
  return keys;
}

/** A query string's text as the value the field's schema checks: numbers and booleans converted. */
function fromText(raw: string, kind: FilterKind): unknown {
  if ((kind === 'integer' || kind === 'number') && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(raw)) return Number(raw);
  if (kind === 'boolean' && (raw === 'true' || raw === 'false')) return raw === 'true';
  return raw;
}

/** The sign, whole digits and fraction digits of a decimal string. */
function decimalParts(text: string): { negative: boolean; whole: string; fraction: string } {
  const [whole = '0', fraction = ''] = text.replace(/^-/, '').split('.');
  return { negative: text.startsWith('-'), whole, fraction };
}

/** -1, 0 or 1 as decimal strings `a` and `b` compare by value (`10` equals `10.00`). */
function compareDecimals(a: string, b: string): number {
  const [x, y] = [decimalParts(a), decimalParts(b)];
  const width = Math.max(x.fraction.length, y.fraction.length);
  const scaled = (p: { negative: boolean; whole: string; fraction: string }) =>
    BigInt(p.whole + p.fraction.padEnd(width, '0')) * (p.negative ? -1n : 1n);
  const [m, n] = [scaled(x), scaled(y)];
  return m < n ? -1 : m > n ? 1 : 0;
}

/** -1, 0 or 1 as strings compare by code point, as PostgreSQL's "C" collation orders UTF-8. */
function compareCodePoints(a: string, b: string): number {
  let [i, j] = [0, 0];
  while (i < a.length && j < b.length) {
    const [x, y] = [a.codePointAt(i) ?? 0, b.codePointAt(j) ?? 0];
    if (x !== y) return x < y ? -1 : 1;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  return Math.sign(a.length - i - (b.length - j));
}

/** -1, 0 or 1 as two non-null values of `kind` compare, exactly as PostgreSQL compares the column. */
export function compareValues(a: unknown, b: unknown, kind: FilterKind): number {
  switch (kind) {
    case 'integer':
    case 'number':
    case 'boolean':
      return Math.sign(Number(a) - Number(b));
    case 'decimal':
      return compareDecimals(String(a), String(b));
    case 'datetime':
      return Math.sign(Date.parse(String(a)) - Date.parse(String(b)));
    case 'uuid':
      return compareCodePoints(String(a).toLowerCase(), String(b).toLowerCase());
    default:
      return compareCodePoints(String(a), String(b));
  }
}

const HOLDS: Record<Operator, (c: number) => boolean> = {
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
 */
export function selectPage<T extends { id: string }>(
  items: T[],
  { limit, offset, filters, sort }: ListQuery,
  kinds: Readonly<Record<string, FilterKind>>,
): { items: T[]; total: number } {
  const kindOf = (field: string): FilterKind => kindIn(kinds, field) ?? 'text';
  const read = (item: T, field: string): unknown => (item as Record<string, unknown>)[field] ?? null;
  const matching = items.filter((item) =>
    filters.every(({ field, op, value }) => read(item, field) !== null && HOLDS[op](compareValues(read(item, field), value, kindOf(field)))),
  );
  if (sort.length > 0) {
    matching.sort((a, b) => {
      for (const { field, descending } of sort) {
        const [x, y] = [read(a, field), read(b, field)];
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
