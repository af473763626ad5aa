import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtInCovers, compileCheck } from '../src/config-check.ts';
import type { Check, ConfigSchema } from '../src/config-check.ts';
import { schema } from '../src/config.ts';

/** A schema with every keyword and type the built-in check implements, beside the project's own. */
const everyKeyword: ConfigSchema = {
  type: 'object',
  required: ['NAME'],
  properties: {
    NAME: { type: 'string', description: 'n', minLength: 3 },
    LEVEL: { type: 'string', description: 'l', enum: ['low', 'high'], default: 'low' },
    PORT: { type: 'integer', description: 'p', minimum: 1, maximum: 65535, default: 3000 },
    RATIO: { type: 'number', description: 'r', minimum: 0, maximum: 1 },
    ON: { type: 'boolean', description: 'o', default: false },
    URL: { type: 'string', description: 'u', format: 'uri', 'x-secret': true },
    MAIL: { type: 'string', description: 'm', format: 'email', 'x-required-in-production': true },
    DAY: { type: 'string', description: 'd', format: 'date' },
  },
};

/** Environment values worth telling apart: conversions, limits, formats, lengths. */
const samples = ['', ' ', 'abc', '0', '1', '-1', '1.5', '1e3', '0x10', ' 7 ', '65536', 'true', 'false', 'TRUE', 'Infinity', 'NaN', 'low', 'high', 'http://example.com/a?b=c', 'postgres://u@h:5432/d', 'not a uri', 'a@example.com', '2026-02-30', '2026-12-01', 'x'.repeat(40), 'żółw'];

/** What a check makes of `values`: whether they pass, the values after it, and the errors. */
function outcome(check: Check, values: Record<string, unknown>) {
  const copy = { ...values };
  const valid = check(copy);
  const errors = (check.errors ?? []).map(({ instancePath, keyword, params, message }) => ({ instancePath, keyword, params, message }));
  return { valid, values: copy, errors };
}

describe('configuration check', () => {
  it('answers as ajv does, for every variable and every kind of value, in each mode', () => {
    let compared = 0;
    for (const tested of [schema, everyKeyword]) {
      assert.ok(builtInCovers(tested), 'the schema is one the built-in check covers');
      const names = Object.keys(tested.properties);
      const requiredInProduction = names.filter((name) => tested.properties[name]?.['x-required-in-production']);
      for (const required of [[], requiredInProduction]) {
        const [builtin, ajv] = [compileCheck(tested, required, 'builtin'), compileCheck(tested, required, 'ajv')];
        const cases: Record<string, unknown>[] = [{}, ...names.flatMap((name) => samples.map((value) => ({ [name]: value })))];
        // Everything wrong at once: every error, in ajv's order.
        cases.push(Object.fromEntries(names.map((name) => [name, 'abc'])));
        for (const values of cases) {
          assert.deepEqual(outcome(builtin, values), outcome(ajv, values), JSON.stringify(values));
          compared += 1;
        }
      }
    }
    assert.ok(compared > 500, `${compared} comparisons`);
  });

  it('leaves a schema with any other keyword to ajv', () => {
    const edited: ConfigSchema = { ...everyKeyword, properties: { ...everyKeyword.properties, CODE: { type: 'string', description: 'c', pattern: '^[A-Z]+$' } } };
    assert.equal(builtInCovers(edited), false);
    const check = compileCheck(edited, []);
    assert.equal(check({ NAME: 'abcd', CODE: 'lower' }), false);
    assert.equal(check.errors?.[0]?.keyword, 'pattern');
  });
});
