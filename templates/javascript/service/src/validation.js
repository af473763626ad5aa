import { createRequire } from 'node:module';
import { badRequest } from './errors.js';

let ajv;

/**
 * The one ajv instance, made (and ajv loaded) when the first schema is compiled, which keeps it
 * off the start-up path. ownProperties: a body is only what the client sent; `constructor` or
 * `toString` inherited from Object.prototype must not count as a field that is present.
 * allowUnionTypes: a json field is any of several types (`type` as a list), which strict mode
 * otherwise refuses.
 */
function instance() {
  if (!ajv) {
    const require = createRequire(import.meta.url);
    const { Ajv2020 } = require('ajv/dist/2020.js');
    ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, useDefaults: true, ownProperties: true });
    require('ajv-formats')(ajv);
  }
  return ajv;
}

/**
 * Turns a JSON Schema into a function that returns a validated copy of its input (with
 * defaults applied) or throws a 400 problem listing every error. The request body itself is
 * left untouched. The schema is compiled on the first call, not at import: compiling every
 * resource's schemas would otherwise be most of the service's start-up (the resource's tests
 * call each validator, so a schema ajv refuses fails `npm test`).
 *
 * @param {object} schema
 * @returns {(value: unknown) => any}
 */
export function validator(schema) {
  let validate;
  return (value) => {
    validate ??= instance().compile(schema);
    const copy = structuredClone(value ?? {});
    if (!validate(copy)) {
      throw badRequest('The request body is invalid.', validate.errors.map(describe));
    }
    return copy;
  };
}

/**
 * Turns the JSON Schema of one value into a check that returns null for a value it accepts and
 * what is wrong otherwise (a list filter's value, checked by its field's own schema). Compiled
 * on the first call, like `validator`.
 *
 * @param {object} schema
 * @returns {(value: unknown) => string | null}
 */
export function checker(schema) {
  let validate;
  return (value) => {
    validate ??= instance().compile(schema);
    return validate(value) ? null : validate.errors.map((e) => e.message).join('; ');
  };
}

function describe(error) {
  const field = error.params.missingProperty ?? error.params.additionalProperty ?? error.instancePath.slice(1).replaceAll('/', '.');
  const message = error.keyword === 'additionalProperties' ? 'is not a known field' : error.message;
  return { field: field || null, message };
}
