import type { Config } from '../config.ts';
import type { Dependency } from '../dependencies.ts';
import { upstreams } from './upstreams.ts';

/**
 * One optional dependency per upstream, by the name `upstream:<name>`: /health shows whether
 * each answers (anything below 500 at its base URL's /live counts), and /ready never fails
 * because one is down: the gateway degrades, answering that upstream's requests with 502, 503 or
 * 504, and keeps serving the others.
 */
export const upstreamChecks: Record<string, (config: Config) => Dependency> = Object.fromEntries(
  upstreams.map((upstream) => [
    `upstream:${upstream.name}`,
    (config: Config): Dependency => ({
      name: `upstream:${upstream.name}`,
      optional: true,
      async check(signal) {
        const base = (config as Record<string, unknown>)[upstream.env];
        if (typeof base !== 'string' || base === '') throw new Error(`${upstream.env} is not set`);
        const res = await fetch(new URL('/live', base), { signal, redirect: 'manual' });
        await res.body?.cancel();
        if (res.status >= 500) throw new Error(`answered ${res.status}`);
      },
      async close() {},
    }),
  ]),
);
