import { readFileSync } from 'node:fs';

/**
 * The project's root folder. Every file the service reads at run time is found from here, so the
 * sources (src/) and the image's bundle (dist/, one folder deep as well) find the same files.
 */
export const projectRoot = new URL('../', import.meta.url);

interface PackageInfo {
  readonly name: string;
  readonly version: string;
}

/** Name and version from package.json, read once (npm_package_* variables exist only under npm). */
export const packageInfo: PackageInfo = Object.freeze(
  (({ name, version }: PackageInfo) => ({ name, version }))(JSON.parse(readFileSync(new URL('package.json', projectRoot), 'utf8')) as PackageInfo),
);
