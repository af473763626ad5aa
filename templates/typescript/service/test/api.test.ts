import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import request from 'supertest';
import { MAX_LIMIT, pagination } from '../src/pagination.ts';
import { validator } from '../src/validation.ts';
import { HttpError } from '../src/errors.ts';
import { buildApp } from './helpers.ts';

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
        assert.ok(err instanceof HttpError);
        assert.equal(err.status, 400);
        assert.deepEqual(err.errors?.map((e) => e.field).toSorted(), ['extra', 'name', 'size']);
        return true;
      },
    );
  });
});

describe('OpenAPI document', () => {
  it('is served at /openapi.json', async () => {
    const { app } = buildApp();
    const res = await request(app).get('/openapi.json').expect(200);
    assert.match(res.headers['content-type'] ?? '', /^application\/json/);
    assert.equal(res.body.openapi, '3.1.0');
    assert.equal(res.body.servers[0].url, '/api/v1');
  });
});
