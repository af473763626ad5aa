import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileCheck } from './config-check.js';
import { projectRoot } from './package-info.js';

/**
 * config.schema.json is the one description of every environment variable; espresso renders
 * .env.example and the deployment files from the same document.
 */
export const schema = JSON.parse(readFileSync(new URL('config.schema.json', projectRoot), 'utf8'));

const names = Object.keys(schema.properties);
const requiredInProduction = names.filter((name) => schema.properties[name]['x-required-in-production']);

/**
 * The variables any one of which, set, stands in for `name` where it is required in production
 * (`x-alternatives`: JWT_JWKS_URL for JWT_SECRET).
 *
 * @param {string} name
 * @returns {string[]}
 */
const alternatives = (name) => schema.properties[name]['x-alternatives'] ?? [];

/**
 * One check per set of required variables, made when a configuration first needs it: a process
 * needs one.
 *
 * @type {Record<string, ReturnType<typeof compileCheck>>}
 */
const validators = {};

/** Thrown when the environment does not satisfy the schema; the message lists every problem. */
export class ConfigError extends Error {
  /** @param {string[]} problems */
  constructor(problems) {
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
 * @param {Record<string, string | undefined>} env usually process.env
 * @returns {Readonly<Record<string, any>>}
 * @throws {ConfigError}
 */
export function loadConfig(env) {
  const values = {};
  for (const name of names) {
    if (env[name] !== undefined && env[name] !== '') values[name] = env[name];
    else if (env.SECRETS_DIR && schema.properties[name]['x-secret']) {
      const secret = readSecret(env.SECRETS_DIR, name);
      if (secret) values[name] = secret;
    }
  }
  const production = (values.NODE_ENV ?? schema.properties.NODE_ENV.default) === 'production';
  const required = production ? requiredInProduction.filter((name) => !alternatives(name).some((other) => values[other] !== undefined)) : [];
  const validate = (validators[required.join()] ??= compileCheck(schema, required));
  if (!validate(values)) {
    throw new ConfigError(validate.errors.map(describe));
  }
  return Object.freeze(values);
}

/**
 * loadConfig for a process's entry point: an invalid configuration is one message on stderr
 * (the logger is configured from the config, so it cannot be used yet) and exit status 1.
 *
 * @param {Record<string, string | undefined>} env usually process.env
 * @returns {Readonly<Record<string, any>>}
 */
export function loadConfigOrExit(env) {
  try {
    return loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}

function readSecret(dir, name) {
  try {
    return readFileSync(join(dir, name), 'utf8').trim();
  } catch (err) {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  }
}

function describe(error) {
  if (error.keyword === 'required') {
    const name = error.params.missingProperty;
    const instead = alternatives(name).length > 0 ? ` unless ${alternatives(name).join(' or ')} is set` : '';
    const production = requiredInProduction.includes(name) ? ` when NODE_ENV is production${instead}` : '';
    return `${name} is required${production}: ${schema.properties[name].description}`;
  }
  const name = error.instancePath.slice(1);
  const allowed = error.keyword === 'enum' ? ` (${error.params.allowedValues.join(', ')})` : '';
  return `${name} ${error.message}${allowed}`;
}
