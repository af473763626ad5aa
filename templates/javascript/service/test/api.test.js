import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import express from 'express';
import request from 'supertest';
import { compareValues, listQuery, MAX_SORT_KEYS, selectPage } from '../src/list-query.js';
import { MAX_LIMIT, pagination } from '../src/pagination.js';
import { checker, validator } from '../src/validation.js';
import { buildApp, testAuth } from './helpers.js';
import { apiVersions } from '../src/api-versions.js';
import { deprecation } from '../src/middleware/deprecation.js';

describe('pagination', () => {
  it('defaults and accepts values within bounds', () => {
    assert.deepEqual(pagination({}), { limit: 20, offset: 0 });
    assert.deepEqual(pagination({ limit: String(MAX_LIMIT), offset: '40' }), { limit: MAX_LIMIT, offset: 40 });
  });

  it('rejects values out of bounds or not integers', () => {
    for (const query of [{ limit: '0' }, { limit: String(MAX_LIMIT + 1) }, { limit: 'ten' }, { offset: '-1' }, { offset: '1.5' }, { limit: ['1', '2'] }]) {
      assert.throws(() => pagination(query), { status: 400, code: 'bad_request' }, JSON.stringify(query));
    }
  });
});

describe('list queries', () => {
  const kinds = { status: 'text', total: 'decimal', qty: 'integer', due: 'date' };
  const checks = {
    status: checker({ type: 'string', enum: ['open', 'paid'] }),
    total: checker({ type: 'string', pattern: '^-?(0|[1-9][0-9]{0,9})(\\.[0-9]{1,2})?$' }),
    qty: checker({ type: 'integer' }),
    due: checker({ type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' }),
  };
  const timestamp = checker({ type: 'string', format: 'date-time' });
  const fields = { kinds, check: (field, value) => (checks[field] ?? timestamp)(value) };

  it('reads filters, ranges, sort keys and the page', () => {
    const query = listQuery({ status: 'paid', 'total[gte]': '10', 'qty[lt]': '3', sort: '-total,createdAt', limit: '5' }, fields);
    assert.deepEqual(query, {
      limit: 5,
      offset: 0,
      filters: [
        { field: 'status', op: 'eq', value: 'paid' },
        { field: 'total', op: 'gte', value: '10' },
        { field: 'qty', op: 'lt', value: 3 },
      ],
      sort: [
        { field: 'total', descending: true },
        { field: 'createdAt', descending: false },
      ],
    });
  });

  it('answers 400 naming every unknown, repeated or invalid parameter', () => {
    assert.throws(
      () => listQuery({ nope: '1', 'status[gt]': 'a', qty: 'x', status: ['open', 'paid'], sort: 'colour', total: '1.234' }, fields),
      (err) => {
        assert.equal(err.status, 400);
        assert.deepEqual(err.errors.map((e) => e.field).sort(), ['nope', 'qty', 'sort', 'status', 'status[gt]', 'total']);
        return true;
      },
    );
    assert.throws(() => listQuery({ sort: Array.from({ length: MAX_SORT_KEYS + 1 }, () => 'qty').join(',') }, fields), { status: 400 });
  });

  it('compares as PostgreSQL does: decimals by value, strings by code point', () => {
    assert.equal(compareValues('10', '10.00', 'decimal'), 0);
    assert.equal(compareValues('-2.5', '-10', 'decimal'), 1);
    assert.equal(compareValues('Z', 'a', 'text'), -1);
    assert.equal(compareValues('2026-01-01T10:00:00+02:00', '2026-01-01T08:00:00Z', 'datetime'), 0);
  });

  it('selects the page: filters skip nulls, sort keys put nulls last, ties go by id', () => {
    const items = [
      { id: 'c', status: 'open', total: '5.00', qty: 1, due: null },
      { id: 'a', status: 'paid', total: '12.50', qty: 2, due: '2026-02-01' },
      { id: 'b', status: 'paid', total: '12.50', qty: null, due: '2026-01-01' },
    ];
    const page = (query) => selectPage(items, { limit: 20, offset: 0, filters: [], sort: [], ...query }, kinds);
    assert.deepEqual(page({ filters: [{ field: 'status', op: 'eq', value: 'paid' }] }).items.map((i) => i.id), ['a', 'b']);
    assert.deepEqual(page({ filters: [{ field: 'qty', op: 'gte', value: 1 }] }).total, 2);
    assert.deepEqual(page({ sort: [{ field: 'total', descending: true }] }).items.map((i) => i.id), ['a', 'b', 'c']);
    assert.deepEqual(page({ sort: [{ field: 'due', descending: true }] }).items.map((i) => i.id), ['a', 'b', 'c']);
    assert.deepEqual(page({ sort: [{ field: 'due', descending: false }], limit: 1, offset: 1 }), { items: [items[1]], total: 3 });
  });
});

describe('validation', () => {
  const validate = validator({
    type: 'object',
    properties: { name: { type: 'string' }, size: { type: 'integer', default: 1 } },
    required: ['name'],
    additionalProperties: false,
  });

  it('returns a copy with defaults and leaves the input alone', () => {
    const input = { name: 'a' };
    assert.deepEqual(validate(input), { name: 'a', size: 1 });
    assert.deepEqual(input, { name: 'a' });
  });

  it('lists every problem by field', () => {
    assert.throws(
      () => validate({ size: 'big', extra: true }),
      (err) => {
        assert.equal(err.status, 400);
        assert.deepEqual(err.errors.map((e) => e.field).sort(), ['extra', 'name', 'size']);
        return true;
      },
    );
  });
});

describe('OpenAPI document', () => {
  it('is served at /openapi.json', async () => {
    const { app } = buildApp();
    const res = await request(app).get('/openapi.json').expect(200);
    assert.match(res.headers['content-type'], /^application\/json/);
    assert.equal(res.body.openapi, '3.1.0');
    assert.equal(res.body.servers[0].url, '/api');
  });
});

describe('API versions', () => {
  it('announce a deprecation, its sunset and the successor (RFC 9745, RFC 8594)', async () => {
    const app = express().use(deprecation({ deprecated: '2026-12-02', sunset: '2027-06-30', successor: 'v2' }), (_req, res) => res.end());
    const res = await request(app).get('/').expect(200);
    assert.equal(res.headers.deprecation, '@1796169600');
    assert.equal(res.headers.sunset, 'Wed, 30 Jun 2027 23:59:59 GMT');
    assert.equal(res.headers.link, '</api/v2>; rel="successor-version"');
  });

  it('send those headers under every deprecated version of this API, and under no other', async () => {
    const { app } = buildApp();
    for (const [version, policy] of Object.entries(apiVersions)) {
      // With the credentials the project's authentication middleware ask for, if any.
      const res = await request(app).get(`/api/${version}/no-such-resource`).set(testAuth().headers).expect(404);
      if (policy) assert.equal(res.headers.deprecation, `@${Date.parse(`${policy.deprecated}T00:00:00Z`) / 1000}`, version);
      else assert.equal(res.headers.deprecation, undefined, version);
    }
  });
});
