import { Agent } from 'node:http';
import { Router } from 'express';
import { createProxyMiddleware } from 'http-proxy-middleware';
import CircuitBreaker from 'opossum';
import client from 'prom-client';
import { HttpError } from '../errors.js';
import { sendProblem } from '../middleware/error-handler.js';
import { authenticator, upstreams as configured } from './upstreams.js';

/** Headers that describe one connection, not the message: never passed on (RFC 9110 7.6.1). */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'upgrade'];

/** Who the gateway says the caller is; a client's own are dropped, so they cannot be forged. */
const IDENTITY = ['x-user-id', 'x-user-roles'];

/** Methods tried again after a connection failure: safe, and without a body to send twice. */
const RETRIED_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Connection failures before any answer, after which a safe request may be tried again. */
const RETRIED_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** Where a request's exchange with its upstream keeps its state. */
const EXCHANGE = Symbol('gateway exchange');

/** The upstream did not start answering within its deadline. */
const deadlineError = () => Object.assign(new Error('the upstream did not answer within its deadline'), { code: 'EDEADLINE' });

/** Whether `path` is `prefix` or below it. */
const within = (path, prefix) => path === prefix || path.startsWith(`${prefix}/`);

/**
 * Drops hop-by-hop headers, and those the Connection header names, from `headers`.
 *
 * @param {Record<string, unknown>} headers
 * @param {(name: string) => void} remove
 */
function dropHopByHop(headers, remove) {
  const named = String(headers.connection ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  for (const name of [...HOP_BY_HOP, ...named]) remove(name);
}

/**
 * The gateway: every upstream's prefix streamed to its service, unparsed, with the method, path,
 * query, body and end-to-end headers as they came; X-Forwarded-For, -Proto, -Port and -Host set;
 * the request's id (X-Request-Id) and trace (traceparent) passed on, so one request has one id
 * and one trace across the hop. Per upstream:
 *
 * - a deadline (`timeoutMs`) for the answer to start, retries included, then 504;
 * - GET, HEAD and OPTIONS tried again (GATEWAY_RETRIES) when the connection fails before any
 *   answer, never other methods and never once an answer started;
 * - a circuit breaker (opossum): past GATEWAY_BREAKER_THRESHOLD_PERCENT failures it answers 503
 *   without calling the upstream, for GATEWAY_BREAKER_RESET_MS;
 * - a protected upstream's callers verified first (auth-jwt), and who they are passed on as
 *   X-User-Id and X-User-Roles;
 * - `gateway_upstream_request_duration_seconds` by upstream, method and status.
 *
 * Failures are problem+json naming the upstream: 502 when it cannot be reached, 503 while its
 * circuit is open or its URL is not configured, 504 past the deadline.
 *
 * @param {object} options
 * @param {Readonly<Record<string, any>>} options.config
 * @param {import('pino').Logger} options.logger
 * @param {{ registry: import('prom-client').Registry }} options.metrics
 * @param {typeof configured} [options.upstreams] the services behind the gateway (tests give their own)
 * @param {((config: object) => import('express').RequestHandler) | null} [options.authenticate] verifies a protected upstream's callers
 * @returns {import('express').Router}
 */
export function gatewayRouter({ config, logger, metrics, upstreams = configured, authenticate = authenticator }) {
  const duration = new client.Histogram({
    name: 'gateway_upstream_request_duration_seconds',
    help: 'Time until an upstream answered (or failed), in seconds, by upstream, method and status code.',
    labelNames: ['upstream', 'method', 'status_code'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [metrics.registry],
  });
  const verify = authenticate ? authenticate(config) : null;
  const router = Router();
  for (const upstream of upstreams) {
    const forward = upstreamHandler(upstream, { config, logger: logger.child({ upstream: upstream.name }), duration });
    router.use((req, res, next) => {
      if (!within(req.path, upstream.path)) {
        next();
        return;
      }
      for (const name of IDENTITY) delete req.headers[name];
      if (!upstream.protect) {
        forward(req, res);
        return;
      }
      if (!verify) {
        next(new HttpError(503, 'upstream_unavailable', `The ${upstream.name} service is protected, but the gateway has no auth-jwt to verify tokens with.`));
        return;
      }
      Promise.resolve(verify(req, res, (err) => (err ? next(err) : forward(req, res)))).catch(next);
    });
  }
  return router;
}

/**
 * The handler of one upstream: a proxy (http-proxy-middleware), its breaker and its deadline.
 *
 * @param {{ name: string, env: string, timeoutMs: number }} upstream
 * @param {{ config: Readonly<Record<string, any>>, logger: import('pino').Logger, duration: import('prom-client').Histogram }} context
 */
function upstreamHandler(upstream, { config, logger, duration }) {
  const target = config[upstream.env];
  const retries = config.GATEWAY_RETRIES;
  const observe = (req, status) => {
    const state = req[EXCHANGE];
    duration.observe({ upstream: upstream.name, method: req.method, status_code: status }, Number(process.hrtime.bigint() - state.started) / 1e9);
  };

  const proxy = target
    ? createProxyMiddleware({
        target,
        changeOrigin: true,
        xfwd: true,
        agent: new Agent({ keepAlive: true }),
        on: {
          proxyReq(proxyReq, req) {
            dropHopByHop(req.headers, (name) => proxyReq.removeHeader(name));
            proxyReq.setHeader('x-request-id', req.id);
            if (req.user) {
              proxyReq.setHeader('x-user-id', String(req.user.id ?? ''));
              proxyReq.setHeader('x-user-roles', req.user.roles.join(','));
            }
            req[EXCHANGE].proxyReq = proxyReq;
          },
          proxyRes(proxyRes, req) {
            const state = req[EXCHANGE];
            clearTimeout(state.timer);
            dropHopByHop(proxyRes.headers, (name) => delete proxyRes.headers[name]);
            state.answered = true;
            observe(req, proxyRes.statusCode);
            // A 5xx counts against the upstream's circuit; the answer itself still goes to the client.
            if (proxyRes.statusCode >= 500) state.reject(Object.assign(new Error(`answered ${proxyRes.statusCode}`), { code: 'EUPSTREAM' }));
            else state.resolve();
          },
          error(err, req, res) {
            const state = req[EXCHANGE];
            const retry = !state.deadline && !res.headersSent && RETRIED_METHODS.has(req.method) && RETRIED_ERRORS.has(err.code) && state.attempts < retries;
            if (retry) {
              state.attempts += 1;
              logger.debug({ err, attempt: state.attempts }, 'retrying the upstream');
              proxy(req, res, () => {});
              return;
            }
            state.reject(err);
          },
        },
      })
    : null;

  const breaker = new CircuitBreaker(
    (req, res) =>
      new Promise((resolve, reject) => {
        Object.assign(req[EXCHANGE], { resolve, reject });
        // A client that hangs up is not the upstream's failure.
        res.once('close', () => {
          clearTimeout(req[EXCHANGE].timer);
          resolve();
        });
        proxy(req, res, reject);
      }),
    {
      timeout: false,
      errorThresholdPercentage: config.GATEWAY_BREAKER_THRESHOLD_PERCENT,
      resetTimeout: config.GATEWAY_BREAKER_RESET_MS,
      rollingCountTimeout: 10_000,
      volumeThreshold: 5,
    },
  );
  breaker.on('open', () => logger.warn('circuit opened: answering 503 without calling the upstream'));
  breaker.on('halfOpen', () => logger.info('circuit half open: trying the upstream again'));
  breaker.on('close', () => logger.info('circuit closed: the upstream answers again'));

  /** Answers a failure as problem+json naming the upstream, unless an answer already started. */
  function fail(req, res, err) {
    clearTimeout(req[EXCHANGE].timer);
    // The upstream answered (a 5xx, counted against its circuit): that answer is the client's.
    if (req[EXCHANGE].answered) return;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    let problem;
    if (err.code === 'EOPENBREAKER') {
      res.set('Retry-After', String(Math.ceil(config.GATEWAY_BREAKER_RESET_MS / 1000)));
      problem = new HttpError(503, 'upstream_unavailable', `The ${upstream.name} service is failing; the gateway is not calling it for now.`, { cause: err });
    } else if (err.code === 'EDEADLINE') {
      problem = new HttpError(504, 'upstream_timeout', `The ${upstream.name} service did not answer within ${upstream.timeoutMs} ms.`, { cause: err });
    } else {
      problem = new HttpError(502, 'bad_gateway', `The ${upstream.name} service could not be reached.`, { cause: err });
    }
    observe(req, problem.status);
    sendProblem(req, res, problem);
  }

  return (req, res) => {
    const state = { attempts: 0, started: process.hrtime.bigint(), answered: false, deadline: false, timer: undefined, proxyReq: undefined, resolve: () => {}, reject: () => {} };
    req[EXCHANGE] = state;
    if (!proxy) {
      const problem = new HttpError(503, 'upstream_unavailable', `The ${upstream.name} service has no URL: ${upstream.env} is not set.`);
      observe(req, problem.status);
      sendProblem(req, res, problem);
      return;
    }
    // One deadline for the whole exchange, retries included.
    state.timer = setTimeout(() => {
      state.deadline = true;
      if (state.proxyReq) state.proxyReq.destroy(deadlineError());
      else state.reject(deadlineError());
    }, upstream.timeoutMs);
    breaker.fire(req, res).catch((err) => fail(req, res, err));
  };
}
