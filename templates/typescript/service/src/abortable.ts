/**
 * `promise`, or a rejection with the signal's reason as soon as `signal` aborts, whichever comes
 * first. The promise itself is not cancelled: what it settles to after an abort is ignored. It
 * bounds calls to dependencies that have no deadline of their own (a readiness check, a Redis
 * command), so no probe or request waits on a dependency that does not answer.
 */
export function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  promise.catch(() => {}); // settled after an abort: nobody waits for it
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
