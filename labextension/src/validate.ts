/**
 * Checking a findings report against sparkcoach/schema/findings.schema.json (copied to
 * src/generated/ by `jlpm build:schema`; the single source of truth, shared with the Python side's
 * sparkcoach.views.bundle.validate). The answer is one line naming the JSON path, worded as the
 * Python side words it: `invalid sparkcoach report at findings/0/severity: ...`.
 */
import Ajv2020, { ErrorObject, ValidateFunction } from 'ajv/dist/2020';

import schema from './generated/findings.schema.json';
import { IMeasurement, IReport, Severity } from './types';

const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];
const COMBINERS = new Set(['oneOf', 'anyOf', 'allOf', 'if', 'not']);

let instance: Ajv2020 | null = null;

function ajv(): Ajv2020 {
  if (!instance) {
    // allowUnionTypes: the schema says `"type": ["integer", "null"]` for optional figures;
    // strictRequired off: a flag object names `id` or `path` through `anyOf: [{required: [...]}]`.
    instance = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
    instance.addSchema(schema);
  }
  return instance;
}

function validator(pointer: string): ValidateFunction {
  const found = ajv().getSchema(schema.$id + pointer);
  if (!found) {
    throw new Error(`sparkcoach: no ${pointer} in the findings schema`);
  }
  return found;
}

/** `/findings/0/severity` → `findings/0/severity`; the root is `(root)`. */
export function jsonPath(instancePath: string): string {
  const parts = instancePath
    .split('/')
    .slice(1)
    .map(p => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  return parts.length > 0 ? parts.join('/') : '(root)';
}

function depth(e: ErrorObject): number {
  return e.instancePath === '' ? 0 : e.instancePath.split('/').length - 1;
}

function describe(e: ErrorObject): string {
  const p = e.params as { [key: string]: unknown };
  switch (e.keyword) {
    case 'required':
      return `'${String(p.missingProperty)}' is a required property`;
    case 'additionalProperties':
      return `additional property '${String(p.additionalProperty)}' is not allowed`;
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map(v => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`;
    default:
      return e.message ?? e.keyword;
  }
}

/**
 * The error to name, from Ajv's list: the most specific one that is not a combinator's summary
 * (oneOf/anyOf). When every alternative of a oneOf failed on its type ("flag as a string"), the
 * allowed types are named together: `must be integer, array or object`.
 */
export function bestError(errors: readonly ErrorObject[]): { path: string; message: string } {
  const concrete = errors.filter(e => !COMBINERS.has(e.keyword));
  const pool = concrete.length > 0 ? concrete : [...errors];
  // Where a oneOf/anyOf failed, an alternative failing only on its type (e.g. the `null` one) says least.
  const alternatives = new Set(errors.filter(e => e.keyword === 'oneOf' || e.keyword === 'anyOf').map(e => e.instancePath));
  const telling = pool.filter(e => !(e.keyword === 'type' && alternatives.has(e.instancePath)));
  if (telling.length > 0) {
    const best = telling.reduce((a, b) => (depth(b) > depth(a) ? b : a));
    return { path: jsonPath(best.instancePath), message: describe(best) };
  }
  const first = pool[0];
  const types: string[] = [];
  for (const e of pool) {
    if (e.instancePath !== first.instancePath) {
      continue;
    }
    const t = (e.params as { type?: string | string[] }).type;
    for (const name of Array.isArray(t) ? t : t !== undefined ? [t] : []) {
      if (!types.includes(name)) {
        types.push(name);
      }
    }
  }
  const message =
    types.length > 0
      ? `must be ${types.length > 1 ? types.slice(0, -1).join(', ') + ' or ' + types[types.length - 1] : types[0]}`
      : describe(first);
  return { path: jsonPath(first.instancePath), message };
}

/** A validated report, or the one-line reason it is not one. */
export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Check a report against the schema, then its summary counts against its findings' severities
 * (as sparkcoach.views.bundle.validate does).
 */
export function validateReport(data: unknown): Checked<IReport> {
  const validate = validator('');
  if (!validate(data)) {
    const { path, message } = bestError(validate.errors ?? []);
    return { ok: false, error: `invalid sparkcoach report at ${path}: ${message}` };
  }
  const report = data as IReport;
  for (const sev of SEVERITIES) {
    const n = report.findings.filter(f => f.severity === sev).length;
    if (report.summary[sev] !== n) {
      return {
        ok: false,
        error: `invalid sparkcoach report: summary.${sev} is ${report.summary[sev]} but there are ${n} ${sev} findings`
      };
    }
  }
  return { ok: true, value: report };
}

/** Check one measurement (the kernel's answer to "Measure") against the schema's `$defs/measurement`. */
export function validateMeasurement(data: unknown): Checked<IMeasurement> {
  const validate = validator('#/$defs/measurement');
  if (!validate(data)) {
    const { path, message } = bestError(validate.errors ?? []);
    return { ok: false, error: `invalid sparkcoach measurement at ${path}: ${message}` };
  }
  return { ok: true, value: data as IMeasurement };
}
