import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createHttpClient } from '../src/http/outbound.ts';

/** A dependency whose answers the test switches: `ok`, `fail` (500) or `slow`; it counts calls. */
let mode = 'ok';
let calls = 0;
const upstream = createServer((req, res) => {
  calls += 1;
  if (mode === 'slow') {
    setTimeout(() => res.end('late'), 3000);
    return;
  }
  res.statusCode = mode === 'fail' ? 500 : req.url === '/missing' ? 404 : 200;
  res.end(JSON.stringify({ mode }));
});

// A deadline a loaded CI machine meets on loopback, and a slow answer well past it.
const config = { OUTBOUND_TIMEOUT_MS: 1000, CIRCUIT_ERROR_PERCENT: 50, CIRCUIT_RESET_MS: 200 };
let baseUrl = '';

describe('outbound HTTP with a circuit breaker', () => {
  before(async () => {
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    baseUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`;
  });
  after(() => {
    upstream.closeAllConnections();
    upstream.close();
  });

  it('passes answers through, 4xx included, without opening the circuit', async () => {
    mode = 'ok';
    const client = createHttpClient({ name: 'inventory', baseUrl, config, volumeThreshold: 2 });
    try {
      assert.deepEqual(await (await client.request('items')).json(), { mode: 'ok' });
      for (let i = 0; i < 3; i++) assert.equal((await client.request('missing')).status, 404);
      assert.equal(client.state, 'closed');
    } finally {
      client.close();
    }
  });

  it('opens after failures and timeouts, fails fast while open, and closes after a good trial call', async () => {
    const client = createHttpClient({ name: 'inventory', baseUrl, config, volumeThreshold: 2 });
    try {
      mode = 'fail';
      await assert.rejects(client.request('items'), { status: 502, code: 'dependency_unavailable' });
      mode = 'slow';
      await assert.rejects(client.request('items'), { code: 'dependency_unavailable' });
      assert.equal(client.state, 'open');
      mode = 'ok';
      const callsBefore = calls;
      await assert.rejects(client.request('items'), { status: 503 });
      assert.equal(calls, callsBefore, 'an open circuit fails without calling');
      await sleep(config.CIRCUIT_RESET_MS + 50);
      assert.equal((await client.request('items')).status, 200);
      assert.equal(client.state, 'closed');
    } finally {
      client.close();
    }
  });
});
