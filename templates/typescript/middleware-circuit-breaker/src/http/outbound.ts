import CircuitBreaker from 'opossum';
import { HttpError } from '../errors.ts';

/** What the client reads of the configuration. */
export interface OutboundConfig {
  OUTBOUND_TIMEOUT_MS: number;
  CIRCUIT_ERROR_PERCENT: number;
  CIRCUIT_RESET_MS: number;
}

/** A client for one other service; see createHttpClient(). */
export interface HttpClient {
  /** Fetches `path` (relative to baseUrl) and resolves with the Response of any status below 500. */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** `closed`, `open` or `half-open`. */
  readonly state: 'closed' | 'open' | 'half-open';
  /** Stops the breaker's timers (on shutdown, and at the end of tests). */
  close(): void;
}

/**
 * A client for another service's HTTP API. Every call has a deadline (OUTBOUND_TIMEOUT_MS,
 * enforced with an AbortSignal so the socket is really released), and calls go through a circuit
 * breaker: once CIRCUIT_ERROR_PERCENT of recent calls failed (timeouts, network errors, 5xx),
 * the circuit opens and calls fail at once with a 503 problem instead of piling up on a
 * struggling dependency; after CIRCUIT_RESET_MS one trial call decides whether it closes again.
 * A 4xx answer is the caller's problem, not the dependency's, and does not count as a failure.
 *
 * @param options.name the dependency's name, for errors and logs
 * @param options.baseUrl e.g. `http://inventory.default.svc:80/api/v1/`
 * @param options.volumeThreshold calls needed in a window before the circuit may open
 */
export function createHttpClient({ name, baseUrl, config, volumeThreshold = 5 }: { name: string; baseUrl: string; config: OutboundConfig; volumeThreshold?: number }): HttpClient {
  const call = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(new URL(path, baseUrl), { ...init, signal: AbortSignal.timeout(config.OUTBOUND_TIMEOUT_MS) });
    if (response.status >= 500) throw new Error(`${name} answered ${response.status}`);
    return response;
  };
  const breaker = new CircuitBreaker(call, {
    name,
    timeout: false, // the AbortSignal above is the deadline
    errorThresholdPercentage: config.CIRCUIT_ERROR_PERCENT,
    resetTimeout: config.CIRCUIT_RESET_MS,
    volumeThreshold,
  });

  return {
    async request(path, init) {
      try {
        return await breaker.fire(path, init);
      } catch (err) {
        const detail = breaker.opened ? `${name} is unavailable; the circuit is open.` : `${name} did not answer usably.`;
        throw new HttpError(breaker.opened ? 503 : 502, 'dependency_unavailable', detail, { cause: err });
      }
    },

    get state() {
      if (breaker.opened) return 'open';
      return breaker.halfOpen ? 'half-open' : 'closed';
    },

    close() {
      breaker.shutdown();
    },
  };
}
