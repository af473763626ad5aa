import { readFileSync } from 'node:fs';

interface PackageInfo {
  readonly name: string;
  readonly version: string;
}

/** Name and version from package.json, read once (npm_package_* variables exist only under npm). */
export const packageInfo: PackageInfo = Object.freeze(
  (({ name, version }: PackageInfo) => ({ name, version }))(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as PackageInfo),
);
