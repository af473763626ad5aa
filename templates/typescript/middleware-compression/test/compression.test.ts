import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import request from 'supertest';
import { buildApp } from './helpers.ts';

describe('compression', () => {
  it('compresses responses over the threshold for clients that accept it', async () => {
    const { app } = buildApp({ env: { COMPRESSION_THRESHOLD: '100' } });
    const res = await request(app).get('/openapi.json').set('Accept-Encoding', 'gzip').expect(200);
    assert.equal(res.headers['content-encoding'], 'gzip');
    assert.equal(res.body.openapi, '3.1.0');
  });

  it('leaves small responses and clients without Accept-Encoding alone', async () => {
    const { app } = buildApp({ env: { COMPRESSION_THRESHOLD: '100000' } });
    const small = await request(app).get('/openapi.json').set('Accept-Encoding', 'gzip').expect(200);
    assert.equal(small.headers['content-encoding'], undefined);
    const plain = await request(app).get('/live').set('Accept-Encoding', 'identity').expect(200);
    assert.equal(plain.headers['content-encoding'], undefined);
  });
});
