import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { abortable } from '../src/abortable.ts';

describe('abortable', () => {
  it('settles as the promise does while the signal has not aborted', async () => {
    assert.equal(await abortable(Promise.resolve(1), AbortSignal.timeout(1000)), 1);
    await assert.rejects(abortable(Promise.reject(new Error('down')), AbortSignal.timeout(1000)), /down/);
    assert.equal(await abortable(Promise.resolve(2)), 2);
  });

  it('rejects with the reason as soon as the signal aborts, without waiting for the promise', async () => {
    const never = new Promise(() => {});
    const started = performance.now();
    await assert.rejects(abortable(never, AbortSignal.timeout(20)), { name: 'TimeoutError' });
    assert.ok(performance.now() - started < 1000);
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await assert.rejects(abortable(never, controller.signal), /gone/);
  });

  it('leaves no unhandled rejection when the promise fails after the abort', async () => {
    const { promise: late, reject: fail } = Promise.withResolvers();
    await assert.rejects(abortable(late, AbortSignal.timeout(10)));
    fail(new Error('too late'));
    await new Promise((resolve) => setImmediate(resolve));
  });
});
