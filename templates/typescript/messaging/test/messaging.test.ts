import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import express from 'express';
import request from 'supertest';
import { requestId } from '../src/middleware/request-id.ts';
import { PoisonEventError, createEvent, eventContext, parseEvent } from '../src/messaging/events.ts';
import { retryDelay } from '../src/messaging/consumer.ts';
import { packageInfo } from '../src/package-info.ts';

describe('events', () => {
  it('are CloudEvents 1.0 from this service', () => {
    const event = createEvent({ type: 'thing.created', subject: 'a1', data: { id: 'a1' } });
    assert.equal(event.specversion, '1.0');
    assert.equal(event.source, `/${packageInfo.name}`);
    assert.match(event.id, /^[0-9a-f-]{36}$/);
    assert.ok(!Number.isNaN(Date.parse(event.time)));
    assert.deepEqual(parseEvent(JSON.stringify(event)), event);
    assert.notEqual(createEvent({ type: 'thing.created', data: {} }).id, event.id);
  });

  it('carry the id and trace context of the request that published them', async () => {
    const app = express();
    app.use(requestId(), eventContext());
    app.post('/', (_req, res) => {
      res.json(createEvent({ type: 'thing.created', data: {} }));
    });
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const res = await request(app).post('/').set('X-Request-Id', 'req-1').set('traceparent', traceparent).expect(200);
    assert.equal(res.body.requestid, 'req-1');
    assert.equal(res.body.traceparent, traceparent);
    // A malformed trace context is not carried on.
    const bad = await request(app).post('/').set('traceparent', 'not-a-trace').expect(200);
    assert.equal(bad.body.traceparent, undefined);
  });

  it('refuse what is not a CloudEvent as poison', () => {
    for (const body of ['not json', '[1]', '{"specversion":"0.3","id":"1","source":"/x","type":"t"}', '{"specversion":"1.0","source":"/x","type":"t"}']) {
      assert.throws(() => parseEvent(body), PoisonEventError, body);
    }
  });
});

describe('retries', () => {
  it('wait longer after each failure, with jitter, up to the maximum', () => {
    const config = { MESSAGING_RETRY_BASE_MS: 100, MESSAGING_RETRY_MAX_MS: 1000 };
    for (let i = 0; i < 50; i += 1) {
      const first = retryDelay(1, config);
      assert.ok(first >= 50 && first <= 100, String(first));
      const third = retryDelay(3, config);
      assert.ok(third >= 200 && third <= 400, String(third));
      assert.ok(retryDelay(10, config) <= 1000);
    }
  });
});
