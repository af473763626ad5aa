import { readFileSync } from 'node:fs';

/** Name and version from package.json, read once (npm_package_* variables exist only under npm). */
export const packageInfo = Object.freeze(
  (({ name, version }) => ({ name, version }))(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))),
);
