// Schema validation with ajv, turning ajv's first error into a ConfigError a person can act
// on: the field path in dotted form and what was expected.
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { configSchema } from './schema.ts';

/** A schema violation: path segments into the document and the human-readable problem. */
export interface SchemaProblem {
  path: Array<string | number>;
  detail: string;
  /** Where to point in the file when that differs from `path` (an unknown key's own line). */
  at?: Array<string | number>;
}

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  // verbose: errors carry the failing value and its schema (for `description`).
  compiled ??= new Ajv({ allErrors: false, verbose: true, strict: true, allowUnionTypes: true }).compile(configSchema);
  return compiled;
}

/** Undefined when `doc` satisfies the schema, otherwise its first problem. */
export function validateSchema(doc: unknown): SchemaProblem | undefined {
  const validate = validator();
  if (validate(doc)) return undefined;
  const errors = validate.errors ?? [];
  // For `anyOf` ajv reports each branch's failure first; the anyOf error has the useful text.
  const error = errors.find((e) => e.keyword === 'anyOf') ?? errors[0];
  if (!error) return { path: [], detail: 'invalid configuration' };
  const path = pointerToPath(doc, error.instancePath);
  const problem: SchemaProblem = { path, detail: describe(error) };
  if (error.keyword === 'additionalProperties') problem.at = [...path, String(error.params.additionalProperty)];
  return problem;
}

function describe(e: ErrorObject): string {
  const expected = (e.parentSchema as { description?: string } | undefined)?.description;
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
      const hint = closest(key, known);
      return `unknown key ${JSON.stringify(key)}` + (hint ? `; did you mean "${hint}"?` : '');
    }
    case 'required':
      return `missing required key "${String(params.missingProperty)}"`;
    case 'propertyNames':
      return `invalid name ${JSON.stringify(params.propertyName)}`;
    case 'enum':
    case 'type':
    case 'pattern':
    case 'minLength':
    case 'minItems':
    case 'minimum':
    case 'anyOf':
      return `expected ${expected ?? fallbackExpectation(e)}, got ${show(e.data)}`;
    default:
      return `${e.message ?? 'invalid value'}, got ${show(e.data)}`;
  }
}

function fallbackExpectation(e: ErrorObject): string {
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'type') return String(params.type);
  if (e.keyword === 'enum') return `one of ${(params.allowedValues as unknown[]).join(', ')}`;
  return e.message ?? 'a valid value';
}

/** A short rendering of the offending value. */
export function show(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** `/listeners/0/routes` → ['listeners', 0, 'routes'], numbers only where the data is a list. */
function pointerToPath(doc: unknown, pointer: string): Array<string | number> {
  if (pointer === '') return [];
  const out: Array<string | number> = [];
  let node: unknown = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      out.push(Number(key));
      node = node[Number(key)];
    } else {
      out.push(key);
      node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return out;
}

/** The known key closest to a misspelt one, when it is plausibly a typo. */
function closest(key: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
