/**
 * Report validation against the generated schema (src/generated/findings.schema.json, copied from
 * sparkcoach/schema by `jlpm build:schema`), on reports the Python side produced and on the broken
 * variants the Python validator rejects (test/fixtures/make_fixtures.py writes both).
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { describe, expect, it } from 'vitest';

import { validateMeasurement, validateReport } from '../src/validate';

const FIXTURES = join(__dirname, 'fixtures');
const read = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf-8'));

type Change = { path: (string | number)[]; value?: unknown; delete?: boolean };
const real = read('report-real.json') as { metadata: unknown; report: Record<string, unknown> };
const reports = read('reports.json') as Record<string, Record<string, unknown>>;
const invalid = read('invalid.json') as { name: string; changes: Change[]; error: string }[];

/** The changes applied to a copy of `base` (as make_fixtures.apply_changes does). */
function applyChanges(base: unknown, changes: readonly Change[]): unknown {
  let out: unknown = structuredClone(base);
  for (const c of changes) {
    if (c.path.length === 0) {
      out = structuredClone(c.value);
      continue;
    }
    let target = out as Record<string | number, unknown>;
    for (const k of c.path.slice(0, -1)) {
      target = target[k] as Record<string | number, unknown>;
    }
    const last = c.path[c.path.length - 1];
    if (c.delete) {
      if (Array.isArray(target)) {
        target.splice(last as number, 1);
      } else {
        delete target[last];
      }
    } else {
      target[last] = structuredClone(c.value);
    }
  }
  return out;
}

/** `invalid sparkcoach report at findings/0/severity: ...` → `findings/0/severity`. */
function pathOf(error: string): string | null {
  const m = /^invalid sparkcoach report at (\S+): /.exec(error);
  return m ? m[1] : null;
}

describe('validateReport', () => {
  it('accepts the report of a real %%sparklint run', () => {
    const checked = validateReport(real.report);
    expect(checked).toEqual({ ok: true, value: real.report });
  });

  it.each(Object.keys(reports))('accepts the Python tests\' %s report', name => {
    expect(validateReport(reports[name]).ok).toBe(true);
  });

  it('has broken variants to check', () => {
    expect(invalid.length).toBeGreaterThanOrEqual(20);
  });

  it.each(invalid.map(v => [v.name, v] as const))('rejects %s where the Python validator does', (_, variant) => {
    const broken = applyChanges(reports.views, variant.changes);
    const checked = validateReport(broken);
    expect(checked.ok).toBe(false);
    const error = (checked as { error: string }).error;
    expect(error).not.toContain('\n');
    const expected = pathOf(variant.error);
    if (expected === null) {
      // Not a schema error: the summary counts against the findings, worded as in Python.
      expect(error).toBe(variant.error);
    } else {
      expect(pathOf(error)).toBe(expected);
    }
  });

  it('names the missing property and the root', () => {
    const report = structuredClone(reports.views);
    delete report.findings;
    expect(validateReport(report)).toEqual({
      ok: false,
      error: "invalid sparkcoach report at (root): 'findings' is a required property"
    });
  });

  it('says which types a flag may have', () => {
    const report = structuredClone(reports.views) as { plans: { flagged: unknown[] }[] };
    report.plans[0].flagged = ['SortMergeJoin'];
    const checked = validateReport(report);
    expect(checked).toEqual({
      ok: false,
      error: 'invalid sparkcoach report at plans/0/flagged/0: must be integer, array or object'
    });
  });

  it.each([null, 'text', [], 42])('rejects a payload that is not an object: %j', payload => {
    const checked = validateReport(payload);
    expect(checked.ok).toBe(false);
    expect((checked as { error: string }).error).toMatch(/^invalid sparkcoach report at \(root\): must be object$/);
  });
});

describe('validateMeasurement', () => {
  const measurement = (real.report.measurements as Record<string, unknown>[])[0];

  it('accepts the measurement of a real run', () => {
    expect(validateMeasurement(measurement).ok).toBe(true);
  });

  it('rejects a measurement with an unknown status, naming the field', () => {
    const checked = validateMeasurement({ ...measurement, status: 'finished' });
    expect(checked).toEqual({
      ok: false,
      error: 'invalid sparkcoach measurement at status: must be one of "done", "timeout", "interrupted", "not measured", "failed"'
    });
  });

  it('rejects a whole report given as a measurement', () => {
    expect(validateMeasurement(real.report).ok).toBe(false);
  });
});

describe('the kernel comm messages (parseKernelMessage)', async () => {
  const { parseKernelMessage } = await import('../src/comm');
  const measurement = (real.report.measurements as Record<string, unknown>[])[0];

  it('reads insert-cell', () => {
    expect(parseKernelMessage({ action: 'insert-cell', text: 'x = 1\n' })).toEqual({
      action: 'insert-cell',
      text: 'x = 1\n'
    });
    expect(parseKernelMessage({ action: 'insert-cell' })).toEqual({ invalid: 'insert-cell without a text' });
  });

  it('reads a measurement, checked against the schema', () => {
    expect(parseKernelMessage({ action: 'measurement', request: 'r1', measurement })).toEqual({
      action: 'measurement',
      request: 'r1',
      measurement
    });
    const bad = parseKernelMessage({ action: 'measurement', request: 'r2', measurement: { ...measurement, runs: -1 } });
    expect(bad).toEqual({
      action: 'error',
      request: 'r2',
      message: 'invalid sparkcoach measurement at runs: must be >= 0'
    });
  });

  it('reads an error as one line', () => {
    expect(parseKernelMessage({ action: 'error', request: 'r3', message: 'no longer held\nsecond line' })).toEqual({
      action: 'error',
      request: 'r3',
      message: 'no longer held'
    });
  });

  it.each([[null], ['text'], [{ action: 'explode' }], [{ action: 'measurement', measurement }]])(
    'refuses %j',
    data => {
      expect(parseKernelMessage(data)).toHaveProperty('invalid');
    }
  );
});
