import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorObject } from 'ajv/dist/2020.js';
import { compileCheck } from './config-check.ts';
import { projectRoot } from './package-info.ts';
import type { Check, ConfigSchema } from './config-check.ts';
import type { FromSchema } from 'json-schema-to-ts';
import type configSchema from '../config.schema.json';

/**
 * The validated configuration, typed from config.schema.json itself (config.schema.d.json.ts is
 * its mirror for TypeScript): a variable added to the schema is a typed property here at once.
 */
export type Config = Readonly<FromSchema<typeof configSchema>>;

interface PropertySchema {
  description: string;
  default?: unknown;
  'x-secret'?: boolean;
  'x-required-in-production'?: boolean;
  'x-alternatives'?: string[];
  [keyword: string]: unknown;
}

/**
 * config.schema.json is the one description of every environment variable; espresso renders
 * .env.example and the deployment files from the same document.
 */
export const schema = JSON.parse(readFileSync(new URL('config.schema.json', projectRoot), 'utf8')) as ConfigSchema & { properties: Record<string, PropertySchema> };

const names = Object.keys(schema.properties);
const requiredInProduction = names.filter((name) => schema.properties[name]!['x-required-in-production']);

/**
 * The variables any one of which, set, stands in for `name` where it is required in production
 * (`x-alternatives`: JWT_JWKS_URL for JWT_SECRET).
 */
const alternatives = (name: string): string[] => schema.properties[name]!['x-alternatives'] ?? [];

/**
 * One check per set of required variables, made when a configuration first needs it: a process
 * needs one.
 */
const validators: Record<string, Check> = {};

/** Thrown when the environment does not satisfy the schema; the message lists every problem. */
export class ConfigError extends Error {
  declare readonly problems: string[];

  constructor(problems: string[]) {
    super(`Invalid configuration (see config.schema.json):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * Reads the variables the schema declares from `env`, coerces them to their declared types and
 * fills defaults. Empty strings count as unset. Values are never echoed in errors: some are secrets.
 *
 * A secret (`x-secret`) not set in `env` is read from the file named after it in SECRETS_DIR
 * when that is set: a mounted Kubernetes Secret keeps credentials out of the environment, which
 * child processes and crash reports can see.
 *
 * @param env usually process.env
 * @throws {ConfigError}
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const values: Record<string, string> = {};
  for (const name of names) {
    if (env[name] !== undefined && env[name] !== '') values[name] = env[name];
    else if (env['SECRETS_DIR'] && schema.properties[name]!['x-secret']) {
      const secret = readSecret(env['SECRETS_DIR'], name);
      if (secret) values[name] = secret;
    }
  }
  const production = (values['NODE_ENV'] ?? schema.properties['NODE_ENV']!.default) === 'production';
  const required = production ? requiredInProduction.filter((name) => !alternatives(name).some((other) => values[other] !== undefined)) : [];
  const validate = (validators[required.join()] ??= compileCheck(schema, required));
  if (!validate(values)) {
    throw new ConfigError(validate.errors!.map(describe));
  }
  // The check converted each value to its declared type and filled the defaults: a Config now.
  return Object.freeze(values) as unknown as Config;
}

/**
 * loadConfig for a process's entry point: an invalid configuration is one message on stderr
 * (the logger is configured from the config, so it cannot be used yet) and exit status 1.
 *
 * @param env usually process.env
 */
export function loadConfigOrExit(env: Record<string, string | undefined>): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return process.exit(1);
  }
}

function readSecret(dir: string, name: string) {
  try {
    return readFileSync(join(dir, name), 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function describe(error: ErrorObject) {
  if (error.keyword === 'required') {
    const name = (error.params as { missingProperty: string }).missingProperty;
    const instead = alternatives(name).length > 0 ? ` unless ${alternatives(name).join(' or ')} is set` : '';
    const production = requiredInProduction.includes(name) ? ` when NODE_ENV is production${instead}` : '';
    return `${name} is required${production}: ${schema.properties[name]!.description}`;
  }
  const name = error.instancePath.slice(1);
  const allowed = error.keyword === 'enum' ? ` (${(error.params as { allowedValues: string[] }).allowedValues.join(', ')})` : '';
  return `${name} ${error.message}${allowed}`;
}
