import { createRequire } from 'node:module';
import { fullFormats } from 'ajv-formats/dist/formats.js';

/** Keywords of a variable that the built-in check implements as ajv does. */
const VARIABLE_KEYWORDS = new Set(['type', 'description', 'default', 'examples', 'enum', 'minimum', 'maximum', 'minLength', 'format', 'x-secret', 'x-required-in-production', 'x-alternatives', 'x-upstream']);
const ROOT_KEYWORDS = new Set(['$schema', 'title', 'description', 'type', 'properties', 'required']);
const SCALARS = new Set(['string', 'integer', 'number', 'boolean']);

/**
 * Whether the built-in check covers `schema`: an object of scalar variables using only the
 * keywords config.schema.json is written with (and formats ajv-formats knows). A schema edited
 * to use anything else is checked by ajv itself.
 *
 * @param {{ properties: Record<string, Record<string, unknown>> }} schema
 */
export function builtInCovers(schema) {
  return (
    Object.keys(schema).every((keyword) => ROOT_KEYWORDS.has(keyword)) &&
    Object.values(schema.properties).every(
      (property) =>
        Object.keys(property).every((keyword) => VARIABLE_KEYWORDS.has(keyword)) &&
        SCALARS.has(property.type) &&
        (property.format === undefined || (property.type === 'string' && stringFormat(property.format) !== undefined)),
    )
  );
}

/**
 * The check of the environment against config.schema.json with `required` variables: a function
 * that coerces and fills `values` in place and returns whether they pass, leaving the problems
 * in its `errors` as ajv does (allErrors, coerceTypes, useDefaults, strict). `engine` 'ajv' is
 * ajv itself; 'builtin' is the same check without compiling anything, which spares the service
 * most of its start-up (importing ajv and compiling the schema take about 170 ms), and is what
 * a covered schema gets. The project's tests hold the two to the same answers.
 *
 * @param {{ properties: Record<string, Record<string, any>>, required?: string[] }} schema
 * @param {string[]} required
 * @param {'builtin' | 'ajv'} [engine]
 * @returns {((values: Record<string, unknown>) => boolean) & { errors: object[] | null }}
 */
export function compileCheck(schema, required, engine = builtInCovers(schema) ? 'builtin' : 'ajv') {
  const all = [...(schema.required ?? []), ...required];
  if (engine === 'ajv') {
    const require = createRequire(import.meta.url);
    const { Ajv2020 } = require('ajv/dist/2020.js');
    const ajv = new Ajv2020({ allErrors: true, coerceTypes: true, useDefaults: true, strict: true });
    require('ajv-formats')(ajv);
    ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
    ajv.addKeyword({ keyword: 'x-required-in-production', schemaType: 'boolean' });
    ajv.addKeyword({ keyword: 'x-alternatives', schemaType: 'array' });
    ajv.addKeyword({ keyword: 'x-upstream', schemaType: 'string' });
    return ajv.compile({ ...schema, required: all });
  }
  const variables = Object.entries(schema.properties);
  const check = (values) => {
    const errors = [];
    for (const [name, property] of variables) {
      if (values[name] === undefined && property.default !== undefined) values[name] = structuredClone(property.default);
    }
    for (const name of all) {
      if (values[name] === undefined) {
        errors.push({ instancePath: '', keyword: 'required', params: { missingProperty: name }, message: `must have required property '${name}'` });
      }
    }
    for (const [name, property] of variables) {
      if (values[name] !== undefined) errors.push(...checkVariable(values, name, property));
    }
    check.errors = errors.length > 0 ? errors : null;
    return errors.length === 0;
  };
  check.errors = null;
  return check;
}

/** ajv's problems with one variable, after coercing it in `values` as ajv does. */
function checkVariable(values, name, property) {
  const at = `/${name}`;
  const errors = [];
  let value = values[name];
  if (!hasType(value, property.type)) {
    // As ajv: a value that converts is taken as converted, one that does not is a type error.
    const coerced = coerce(value, property.type);
    if (coerced === undefined) {
      errors.push({ instancePath: at, keyword: 'type', params: { type: property.type }, message: `must be ${property.type}` });
    } else {
      value = values[name] = coerced;
    }
  }
  if (property.enum && !property.enum.includes(value)) {
    errors.push({ instancePath: at, keyword: 'enum', params: { allowedValues: property.enum }, message: 'must be equal to one of the allowed values' });
  }
  if (hasType(value, 'number')) {
    if (property.maximum !== undefined && !(value <= property.maximum)) {
      errors.push({ instancePath: at, keyword: 'maximum', params: { comparison: '<=', limit: property.maximum }, message: `must be <= ${property.maximum}` });
    }
    if (property.minimum !== undefined && !(value >= property.minimum)) {
      errors.push({ instancePath: at, keyword: 'minimum', params: { comparison: '>=', limit: property.minimum }, message: `must be >= ${property.minimum}` });
    }
  }
  if (typeof value === 'string') {
    if (property.minLength !== undefined && codePoints(value) < property.minLength) {
      errors.push({ instancePath: at, keyword: 'minLength', params: { limit: property.minLength }, message: `must NOT have fewer than ${property.minLength} characters` });
    }
    if (property.format !== undefined && !stringFormat(property.format)(value)) {
      errors.push({ instancePath: at, keyword: 'format', params: { format: property.format }, message: `must match format "${property.format}"` });
    }
  }
  return errors;
}

/** ajv's coerceTypes for a scalar type: the converted value, or undefined when it does not convert. */
function coerce(value, type) {
  // `value == +value` in ajv: a string that is a number once converted (not NaN).
  const numeric = typeof value === 'boolean' || value === null || (typeof value === 'string' && value !== '' && !Number.isNaN(+value));
  switch (type) {
    case 'number':
      return numeric ? +value : undefined;
    case 'integer':
      return numeric && !(+value % 1) ? +value : undefined;
    case 'boolean':
      if (value === 'false' || value === 0 || value === null) return false;
      if (value === 'true' || value === 1) return true;
      return undefined;
    case 'string':
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return value === null ? '' : undefined;
    default:
      return undefined;
  }
}

/** ajv's type test, with strictNumbers (its default): NaN and Infinity are no numbers. */
function hasType(value, type) {
  switch (type) {
    case 'integer':
      return typeof value === 'number' && Number.isFinite(value) && !(value % 1);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    default:
      return typeof value === type;
  }
}

/** ajv-formats' test of a format for strings (full mode, as ajv-formats adds them), if it has one. */
function stringFormat(name) {
  const definition = Object.hasOwn(fullFormats, name) ? fullFormats[name] : undefined;
  const test = typeof definition === 'object' && !(definition instanceof RegExp) && definition.type !== 'number' && !definition.async ? definition.validate : definition;
  if (test === true) return () => true;
  if (test instanceof RegExp) return (value) => test.test(value);
  return typeof test === 'function' ? test : undefined;
}

/** A string's length in code points, as ajv counts it: a surrogate pair is one character. */
function codePoints(text) {
  return text.length - (text.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g)?.length ?? 0);
}
