/**
 * The side panel's grouping: a notebook's findings by cell, in notebook order, through the real
 * CoachModel (static findings as the lint route gives them, runtime findings and measurements as a
 * %%sparklint output gives them), the timings per cell, and the rule switches.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { describe, expect, it } from 'vitest';

import { CoachModel } from '../src/model';
import { cellLabel, findingPlace, groupByCell, ICellInfo, ruleRows, severityCounts, timingRow } from '../src/panel/group';
import { IFinding, IMeasurement, IReport, IRuleInfo } from '../src/types';

const read = (name: string) => JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf-8'));
const real = (read('report-real.json') as { report: IReport }).report;
const views = (read('reports.json') as { views: IReport }).views;

const CELLS: ICellInfo[] = [
  { id: 'setup', index: 0, executionCount: 1 },
  { id: 'words', index: 1, executionCount: 4 },
  { id: 'join', index: 2, executionCount: null },
  { id: 'clean', index: 3, executionCount: 2 }
];

function staticFinding(code: string, line: number, column = 1): IFinding {
  return {
    code,
    name: 'rule',
    severity: 'warning',
    message: `${code} here`,
    path: '<cell>',
    cell: null,
    line,
    column,
    end_line: line,
    end_column: column + 3,
    fix: null,
    doc: ''
  };
}

const RUNTIME_SPK201 = real.findings.find(f => f.code === 'SPK201') as IFinding;

function model(): CoachModel {
  const m = new CoachModel();
  m.setStatic(
    new Map([
      ['join', [staticFinding('SPK301', 4, 9), staticFinding('SPK101', 2)]],
      // The lint route's SPK201 on the same span as the run's, and one the run did not report.
      ['words', [{ ...RUNTIME_SPK201, message: 'static' }, staticFinding('SPK102', 1)]]
    ])
  );
  m.setRuntime('words', { findings: real.findings, measurements: real.measurements, snapshot: 1 });
  return m;
}

describe('groupByCell', () => {
  it('lists cells with findings or timings in notebook order, each sorted by position', () => {
    const m = model();
    const groups = groupByCell([...CELLS].reverse(), id => m.findings(id), id => m.runtime(id));
    expect(groups.map(g => [g.cellId, g.label])).toEqual([
      ['words', 'Cell [4]'],
      ['join', 'Cell 3']
    ]);
    const join = groups[1];
    expect(join.findings.map(f => [f.code, f.line])).toEqual([
      ['SPK101', 2],
      ['SPK301', 4]
    ]);
    // A runtime finding of the same code and span replaces the static one; others stay.
    const words = groups[0];
    expect(words.findings.map(f => f.code).sort()).toEqual([...real.findings.map(f => f.code), 'SPK102'].sort());
    expect(words.findings.find(f => f.code === 'SPK201')!.message).toBe(RUNTIME_SPK201.message);
    expect(words.timings.map(t => t.code)).toEqual(real.measurements.map(x => x.code));
    expect(severityCounts(groups).warning).toBe(words.findings.length + 2);
  });

  it('leaves out switched-off rules and cells left with nothing', () => {
    const m = model();
    m.setDisabledRules(['SPK3', 'SPK101']);
    const groups = groupByCell(CELLS, id => m.findings(id), id => m.runtime(id));
    expect(groups.map(g => g.cellId)).toEqual(['words']);
    m.clearRuntime('words');
    m.setDisabledRules(['SPK']);
    expect(groupByCell(CELLS, id => m.findings(id), id => m.runtime(id))).toEqual([]);
  });

  it('keeps a cell that has only a measurement', () => {
    const m = new CoachModel();
    m.addMeasurement('clean', real.measurements[0]);
    const groups = groupByCell(CELLS, id => m.findings(id), id => m.runtime(id));
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({ cellId: 'clean', label: 'Cell [2]', findings: [] });
  });
});

describe('timingRow', () => {
  it('says the verdict, the speedup and the medians of a real measurement', () => {
    const m = real.measurements[0];
    const row = timingRow(m);
    expect(row.code).toBe(m.code);
    expect(row.verdict).toBe(m.verdict.trim());
    expect(row.speedup).toBe(`speedup ${m.speedup!.toFixed(2)}`);
    expect(row.medians).toMatch(/^\d[\d.]* (ms|s) \u2192 \d[\d.]* (ms|s)$/);
  });

  it('never shows a speedup for a rewrite that changes the result', () => {
    const changed = views.measurements.find(x => x.same_result === false) as IMeasurement;
    expect(changed).toBeDefined();
    const row = timingRow(changed);
    expect(row.verdict).toBe('changes the result');
    expect(row.speedup).toBeNull();
  });

  it('has no medians when nothing ran', () => {
    const none = views.measurements.find(x => x.status === 'not measured') as IMeasurement;
    expect(timingRow(none).medians).toBeNull();
  });
});

describe('ruleRows', () => {
  const rules: IRuleInfo[] = [
    { code: 'SPK350', name: 'sort-merge-join-small-side', severity: 'warning', kind: 'plan', summary: 's' },
    { code: 'SPK201', name: 'rdd-group-by-key', severity: 'warning', kind: 'python', summary: 'g' },
    { code: 'SPK101', name: 'collect-to-driver', severity: 'warning', kind: 'python', summary: 'c' }
  ];

  it('gives every rule of the server list a switch, on unless ignored', () => {
    const rows = ruleRows(rules, [], ['SPK201']);
    expect(rows.map(r => [r.code, r.enabled, r.lockedBy])).toEqual([
      ['SPK101', true, null],
      ['SPK201', false, null],
      ['SPK350', true, null]
    ]);
  });

  it('says when a prefix switches a rule off (its own switch cannot undo that)', () => {
    const rows = ruleRows(rules, [], ['SPK3']);
    expect(rows.find(r => r.code === 'SPK350')).toMatchObject({ enabled: false, lockedBy: 'SPK3' });
  });

  it('falls back to the codes seen in the notebook when the rule list is not available', () => {
    const rows = ruleRows(null, ['SPK350', 'SPK201', 'SPK350'], []);
    expect(rows.map(r => [r.code, r.enabled, r.severity])).toEqual([
      ['SPK201', true, null],
      ['SPK350', true, null]
    ]);
  });
});

describe('labels', () => {
  it('names a cell by its execution count, else its position', () => {
    expect(cellLabel({ id: 'a', index: 0, executionCount: 12 })).toBe('Cell [12]');
    expect(cellLabel({ id: 'a', index: 4, executionCount: null })).toBe('Cell 5');
  });

  it('places a finding by line, and column when past the first', () => {
    expect(findingPlace(staticFinding('SPK101', 3))).toBe('line 3');
    expect(findingPlace(staticFinding('SPK101', 3, 7))).toBe('line 3:7');
  });
});
