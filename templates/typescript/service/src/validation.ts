import { createRequire } from 'node:module';
import type { Ajv2020, AnySchema, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { badRequest } from './errors.ts';
import type { FieldError } from './errors.ts';
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';

let ajv: Ajv2020 | undefined;

/**
 * The one ajv instance, made (and ajv loaded) when the first schema is compiled, which keeps it
 * off the start-up path. ownProperties: a body is only what the client sent; `constructor` or
 * `toString` inherited from Object.prototype must not count as a field that is present.
 * allowUnionTypes: a json field is any of several types (`type` as a list), which strict mode
 * otherwise refuses.
 */
function instance(): Ajv2020 {
  if (!ajv) {
    const require = createRequire(import.meta.url);
    const ajvModule = require('ajv/dist/2020.js') as { Ajv2020: typeof Ajv2020 };
    ajv = new ajvModule.Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, useDefaults: true, ownProperties: true });
    (require('ajv-formats') as (instance: Ajv2020) => void)(ajv);
  }
  return ajv;
}

/**
 * Turns a JSON Schema into a function that returns a validated copy of its input (with
 * defaults applied) or throws a 400 problem listing every error. The request body itself is
 * left untouched. What it returns has the type the schema describes: the schema is the one
 * source of both the check and the type. The schema is compiled on the first call, not at
 * import: compiling every resource's schemas would otherwise be most of the service's start-up
 * (the resource's tests call each validator, so a schema ajv refuses fails `npm test`).
 */
export function validator<const S extends JSONSchema>(schema: S): (value: unknown) => FromSchema<S>;
export function validator(schema: JSONSchema): (value: unknown) => unknown {
  let validate: ValidateFunction | undefined;
  return (value) => {
    validate ??= instance().compile(schema as AnySchema);
    const copy = structuredClone(value ?? {});
    if (!validate(copy)) {
      throw badRequest('The request body is invalid.', validate.errors!.map(describe));
    }
    return copy;
  };
}

/**
 * Turns the JSON Schema of one value into a check that returns null for a value it accepts and
 * what is wrong otherwise (a list filter's value, checked by its field's own schema). Compiled
 * on the first call, like `validator`.
 */
export function checker(schema: JSONSchema): (value: unknown) => string | null {
  let validate: ValidateFunction | undefined;
  return (value) => {
    validate ??= instance().compile(schema as AnySchema);
    return validate(value) ? null : validate.errors!.map((e) => e.message).join('; ');
  };
}

function describe(error: ErrorObject): FieldError {
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  const field = params.missingProperty ?? params.additionalProperty ?? error.instancePath.slice(1).replaceAll('/', '.');
  const message = error.keyword === 'additionalProperties' ? 'is not a known field' : error.message!;
  return { field: field || null, message };
}
