import { Agent } from 'node:http';
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Router } from 'express';
import type { Request, RequestHandler, Response } from 'express';
import { createProxyMiddleware } from 'http-proxy-middleware';
import CircuitBreaker from 'opossum';
import client from 'prom-client';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { HttpError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { sendProblem } from '../middleware/error-handler.ts';
import { authenticator, upstreams as configured } from './upstreams.ts';
import type { Upstream } from './upstreams.ts';

/** Headers that describe one connection, not the message: never passed on (RFC 9110 7.6.1). */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'upgrade'];

/** Who the gateway says the caller is; a client's own are dropped, so they cannot be forged. */
const IDENTITY = ['x-user-id', 'x-user-roles'];

/** Methods tried again after a connection failure: safe, and without a body to send twice. */
const RETRIED_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Connection failures before any answer, after which a safe request may be tried again. */
const RETRIED_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** The state of one request's exchange with its upstream. */
interface Exchange {
  attempts: number;
  started: bigint;
  answered: boolean;
  deadline: boolean;
  timer: NodeJS.Timeout | undefined;
  proxyReq: ClientRequest | undefined;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** An error with a Node.js or opossum code. */
type CodedError = Error & { code?: string };

/** Where a request's exchange with its upstream keeps its state. */
const exchanges = new WeakMap<IncomingMessage, Exchange>();

/** The exchange `upstreamHandler` began for `req`. */
const exchangeOf = (req: IncomingMessage): Exchange => exchanges.get(req)!;

/** The upstream did not start answering within its deadline. */
const deadlineError = (): CodedError => Object.assign(new Error('the upstream did not answer within its deadline'), { code: 'EDEADLINE' });

/** Whether `path` is `prefix` or below it. */
const within = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);

/** Drops hop-by-hop headers, and those the Connection header names, from `headers`. */
function dropHopByHop(headers: IncomingHttpHeaders, remove: (name: string) => void) {
  const named = (headers.connection ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  for (const name of [...HOP_BY_HOP, ...named]) remove(name);
}

/** What the gateway is built with. */
export interface GatewayOptions {
  config: Config;
  logger: Logger;
  metrics: Pick<Metrics, 'registry'>;
  /** The services behind the gateway (tests give their own). */
  upstreams?: Upstream[];
  /** Verifies a protected upstream's callers. */
  authenticate?: ((config: Config) => RequestHandler) | null;
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
 */
export function gatewayRouter({ config, logger, metrics, upstreams = configured, authenticate = authenticator }: GatewayOptions): Router {
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
      Promise.resolve(verify(req, res, (err?: unknown) => (err ? next(err) : forward(req, res)))).catch(next);
    });
  }
  return router;
}

/** The handler of one upstream: a proxy (http-proxy-middleware), its breaker and its deadline. */
function upstreamHandler(upstream: Upstream, { config, logger, duration }: { config: Config; logger: Logger; duration: client.Histogram }) {
  const target = (config as Record<string, unknown>)[upstream.env] as string | undefined;
  const retries = config.GATEWAY_RETRIES;
  const observe = (req: IncomingMessage, status: number) => {
    duration.observe({ upstream: upstream.name, method: req.method ?? '', status_code: status }, Number(process.hrtime.bigint() - exchangeOf(req).started) / 1e9);
  };

  const proxy = target
    ? createProxyMiddleware<Request, Response>({
        target,
        changeOrigin: true,
        xfwd: true,
        agent: new Agent({ keepAlive: true }),
        on: {
          proxyReq(proxyReq, req) {
            dropHopByHop(req.headers, (name) => proxyReq.removeHeader(name));
            // request-id sets it to a string: the caller's, or a new UUID.
            proxyReq.setHeader('x-request-id', req.id as string);
            // Set by auth-jwt's authenticate() on a protected upstream; a gateway without auth-jwt has none.
            const { user } = req as typeof req & { user?: { id: string | undefined; roles: string[] } };
            if (user) {
              proxyReq.setHeader('x-user-id', user.id ?? '');
              proxyReq.setHeader('x-user-roles', user.roles.join(','));
            }
            exchangeOf(req).proxyReq = proxyReq;
          },
          proxyRes(proxyRes, req) {
            const exchange = exchangeOf(req);
            clearTimeout(exchange.timer);
            dropHopByHop(proxyRes.headers, (name) => delete proxyRes.headers[name]);
            exchange.answered = true;
            const status = proxyRes.statusCode ?? 502;
            observe(req, status);
            // A 5xx counts against the upstream's circuit; the answer itself still goes to the client.
            if (status >= 500) exchange.reject(Object.assign(new Error(`answered ${status}`), { code: 'EUPSTREAM' }));
            else exchange.resolve();
          },
          error(err: CodedError, req, res) {
            const exchange = exchangeOf(req);
            const answering = 'headersSent' in res && res.headersSent;
            const retry = !exchange.deadline && !answering && RETRIED_METHODS.has(req.method) && RETRIED_ERRORS.has(err.code ?? '') && exchange.attempts < retries;
            if (retry && proxy && 'headersSent' in res) {
              exchange.attempts += 1;
              logger.debug({ err, attempt: exchange.attempts }, 'retrying the upstream');
              void proxy(req, res, () => {});
              return;
            }
            exchange.reject(err);
          },
        },
      })
    : null;

  const breaker = new CircuitBreaker(
    (req: Request, res: Response) =>
      new Promise<void>((resolve, reject) => {
        Object.assign(exchangeOf(req), { resolve, reject });
        // A client that hangs up is not the upstream's failure.
        res.once('close', () => {
          clearTimeout(exchangeOf(req).timer);
          resolve();
        });
        void proxy?.(req, res, reject);
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
  function fail(req: Request, res: Response, err: CodedError) {
    clearTimeout(exchangeOf(req).timer);
    // The upstream answered (a 5xx, counted against its circuit): that answer is the client's.
    if (exchangeOf(req).answered) return;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    let problem: HttpError;
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

  return (req: Request, res: Response) => {
    const exchange: Exchange = { attempts: 0, started: process.hrtime.bigint(), answered: false, deadline: false, timer: undefined, proxyReq: undefined, resolve: () => {}, reject: () => {} };
    exchanges.set(req, exchange);
    if (!proxy) {
      const problem = new HttpError(503, 'upstream_unavailable', `The ${upstream.name} service has no URL: ${upstream.env} is not set.`);
      observe(req, problem.status);
      sendProblem(req, res, problem);
      return;
    }
    // One deadline for the whole exchange, retries included.
    exchange.timer = setTimeout(() => {
      exchange.deadline = true;
      if (exchange.proxyReq) exchange.proxyReq.destroy(deadlineError());
      else exchange.reject(deadlineError());
    }, upstream.timeoutMs);
    breaker.fire(req, res).catch((err: CodedError) => fail(req, res, err));
  };
}
