import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, schema } from '../src/config.ts';

/** A variable's declaration in config.schema.json. */
const declared = (name: string) => {
  const found = schema.properties[name];
  assert.ok(found, `${name} is not in config.schema.json`);
  return found as typeof found & { examples?: string[] };
};

const requiredInProduction = Object.keys(schema.properties).filter((name) => declared(name)['x-required-in-production']);

describe('configuration', () => {
  it('applies the schema defaults', () => {
    const config = loadConfig({ NODE_ENV: 'development' });
    for (const [name, property] of Object.entries(schema.properties)) {
      if ('default' in property && name !== 'NODE_ENV') assert.deepEqual((config as Record<string, unknown>)[name], property.default, name);
    }
  });

  it('means production when NODE_ENV is unset, so a deployment that forgets it fails safe', () => {
    assert.equal(declared('NODE_ENV').default, 'production');
    const required = Object.entries(schema.properties).filter(([, property]) => property['x-required-in-production']);
    if (required.length > 0) {
      assert.throws(() => loadConfig({}), (err) => err instanceof ConfigError && err.problems.length === required.length);
    } else {
      assert.equal(loadConfig({}).NODE_ENV, 'production');
    }
  });

  it('coerces strings to the declared types and treats empty strings as unset', () => {
    const config = loadConfig({ NODE_ENV: 'development', PORT: '8080', LOG_LEVEL: '', SHUTDOWN_TIMEOUT_MS: '5000' });
    assert.equal(config.PORT, 8080);
    assert.equal(config.LOG_LEVEL, declared('LOG_LEVEL').default);
    assert.equal(config.SHUTDOWN_TIMEOUT_MS, 5000);
  });

  it('reports every problem at once without echoing values', () => {
    assert.throws(
      () => loadConfig({ NODE_ENV: 'development', PORT: 'eighty', LOG_LEVEL: 'loud' }),
      (err) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.problems.length, 2);
        assert.match(err.message, /PORT must be integer/);
        assert.match(err.message, /LOG_LEVEL must be equal to one of the allowed values \(fatal, error/);
        assert.doesNotMatch(err.message, /eighty|loud/);
        return true;
      },
    );
  });

  it('enforces x-required-in-production only in production', () => {
    assert.doesNotThrow(() => loadConfig({ NODE_ENV: 'development' }));
    if (requiredInProduction.length === 0) {
      assert.doesNotThrow(() => loadConfig({ NODE_ENV: 'production' }));
      return;
    }
    assert.throws(
      () => loadConfig({ NODE_ENV: 'production' }),
      (err) => err instanceof ConfigError && err.problems.length === requiredInProduction.length && requiredInProduction.every((name) => err.message.includes(`${name} is required when NODE_ENV is production`)),
    );
  });

  it('reads secrets, and only secrets, from files in SECRETS_DIR', () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-'));
    try {
      const secrets = Object.keys(schema.properties).filter((name) => declared(name)['x-secret']);
      // A valid value for each secret: its example, or any text when the schema gives none.
      const value = (name: string) => declared(name).examples?.[0] ?? `secret-for-${name.toLowerCase()}-from-a-file`;
      for (const name of secrets) writeFileSync(join(dir, name), `${value(name)}\n`);
      writeFileSync(join(dir, 'PORT'), '1');
      const config = loadConfig({ NODE_ENV: 'development', SECRETS_DIR: dir });
      assert.equal(config.PORT, declared('PORT').default, 'non-secret variables are never read from files');
      for (const name of secrets) assert.equal((config as Record<string, unknown>)[name], value(name), name);
      const [first] = secrets;
      if (first !== undefined) {
        // Valid wherever the file's value is (a longer string, a URI still): only its origin differs.
        const fromEnv = `${value(first)}-from-env`;
        const overridden = loadConfig({ NODE_ENV: 'development', SECRETS_DIR: dir, [first]: fromEnv }) as Record<string, unknown>;
        assert.equal(overridden[first], fromEnv, 'the environment wins over files');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('documents every variable, and .env.example lists each one', () => {
    const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
    for (const [name, property] of Object.entries(schema.properties)) {
      assert.ok(property.description, `${name} has no description`);
      assert.match(example, new RegExp(`^#? ?${name}=`, 'm'), `${name} is missing from .env.example`);
    }
  });

  it('is mirrored exactly by config.schema.d.json.ts, from which TypeScript takes the Config type', () => {
    const mirror = readFileSync(new URL('../config.schema.d.json.ts', import.meta.url), 'utf8');
    const literal = /^declare const schema: ([\s\S]*);\nexport = schema;\n$/m.exec(mirror)?.[1];
    assert.ok(literal, 'config.schema.d.json.ts is not the mirror espresso writes');
    const json: unknown = JSON.parse(readFileSync(new URL('../config.schema.json', import.meta.url), 'utf8'));
    assert.deepEqual(JSON.parse(literal), json, 'config.schema.d.json.ts is stale: run `espresso sync`');
  });

  it('makes the server refuse to start with a readable list of problems', () => {
    const result = spawnSync(process.execPath, ['src/server.ts'], {
      cwd: new URL('..', import.meta.url),
      env: { PATH: process.env['PATH'], PORT: 'not-a-port', LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 10000,
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /Invalid configuration[\s\S]*PORT must be integer/);
  });
});
