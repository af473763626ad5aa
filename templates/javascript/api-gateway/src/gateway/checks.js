import { upstreams } from './upstreams.js';

/**
 * One optional dependency per upstream, by the name `upstream:<name>`: /health shows whether
 * each answers (anything below 500 at its base URL's /live counts), and /ready never fails
 * because one is down: the gateway degrades, answering that upstream's requests with 502, 503 or
 * 504, and keeps serving the others.
 *
 * @type {Record<string, (config: Readonly<Record<string, any>>) => import('../dependencies.js').Dependency>}
 */
export const upstreamChecks = Object.fromEntries(
  upstreams.map((upstream) => [
    `upstream:${upstream.name}`,
    (config) => ({
      name: `upstream:${upstream.name}`,
      optional: true,
      async check(signal) {
        const base = config[upstream.env];
        if (!base) throw new Error(`${upstream.env} is not set`);
        const res = await fetch(new URL('/live', base), { signal, redirect: 'manual' });
        await res.body?.cancel();
        if (res.status >= 500) throw new Error(`answered ${res.status}`);
      },
      async close() {},
    }),
  ]),
);
