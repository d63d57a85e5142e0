/**
 * The findings view's words and figures read as the Python views say them: every expectation here
 * comes from sparkcoach.views run on the same reports (test/fixtures/make_fixtures.py writes
 * expected.json), so a change on either side that makes them disagree fails.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { describe, expect, it } from 'vitest';

import { chartGeometry, LABEL_W, nice, PLOT_W } from '../src/renderer/chart';
import {
  byFinding,
  runBasis,
  contextLine,
  diffLines,
  explainRows,
  findingLocation,
  findingTitle,
  flaggedCount,
  flattenTree,
  figureRows,
  headline,
  humanBytes,
  humanSeconds,
  inlineSpans,
  lineageHeading,
  lineageRows,
  measurementHeading,
  measurementLine,
  planHeading,
  planTree,
  resultLine,
  errorLines,
  shortVerdict,
  snapshotOf,
  statusLine,
  summaryLine
} from '../src/renderer/format';
import { IMeasurement, IReport, MIME_TYPE } from '../src/types';

const FIXTURES = join(__dirname, 'fixtures');
const read = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf-8'));

const real = read('report-real.json') as { metadata: unknown; report: IReport };
const reports: Record<string, IReport> = { real: real.report, ...read('reports.json') };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const expected: Record<string, any> = read('expected.json');
const NAMES = Object.keys(reports);

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

describe.each(NAMES)('the %s report reads as in Python', name => {
  const report = reports[name];
  const want = expected[name];

  it('has the same summary and context lines', () => {
    expect(summaryLine(report)).toBe(want.summary_line);
    expect(contextLine(report)).toBe(want.context_line);
  });

  it('titles, places and diffs each finding the same', () => {
    expect(report.findings.map(f => findingTitle(f))).toEqual(want.findings.map((f: { title: string }) => f.title));
    expect(report.findings.map(f => findingLocation(f))).toEqual(
      want.findings.map((f: { location: string }) => f.location)
    );
    expect(report.findings.map(f => diffLines(f.rewrite?.diff ?? '').map(([, kind]) => kind))).toEqual(
      want.findings.map((f: { diff_kinds: string[] }) => f.diff_kinds)
    );
  });

  it('draws the same plan trees, with the same nodes flagged by the same codes', () => {
    report.plans.forEach((plan, i) => {
      const p = want.plans[i];
      expect(planHeading(plan)).toBe(p.heading);
      expect(flaggedCount(plan)).toBe(p.flagged);
      const rows = flattenTree(planTree(plan)).map(({ depth, row }) => [depth * 3, row.label, row.codes]);
      expect(rows).toEqual(p.rows);
      expect(explainRows(plan)).toEqual(p.explain);
    });
    expect(report.plans.length).toBe(want.plans.length);
  });

  it('lists the same lineage lines with the same marks', () => {
    expect(report.lineages.map(l => lineageHeading(l))).toEqual(
      want.lineages.map((l: { heading: string }) => l.heading)
    );
    expect(report.lineages.map(l => lineageRows(l))).toEqual(want.lineages.map((l: { rows: unknown }) => l.rows));
  });

  it('words each measurement the same', () => {
    report.measurements.forEach((m, i) => {
      const w = want.measurements[i];
      expect(measurementHeading(m)).toBe(w.heading);
      expect(headline(m)).toBe(w.headline);
      expect(statusLine(m)).toBe(w.status);
      expect(resultLine(m)).toBe(w.result);
      expect(errorLines(m)).toEqual(w.errors);
      expect(shortVerdict(m)).toBe(w.short);
      expect(measurementLine(m)).toBe(w.line);
      expect(figureRows(m)).toEqual(w.figures);
    });
    expect(report.measurements.length).toBe(want.measurements.length);
  });

  it('draws each timing chart where the static SVG draws it', () => {
    report.measurements.forEach((m, i) => {
      const w = want.measurements[i].chart;
      const chart = chartGeometry(m);
      if (w === null) {
        expect(chart).toBeNull();
        return;
      }
      expect(chart).not.toBeNull();
      const c = chart!;
      expect([c.width, c.height]).toEqual([w.width, w.height]);
      expect(c.rows.filter(r => r.bar).map(r => [r.bar!.x, round(r.bar!.width, 2)])).toEqual(w.bars);
      expect(c.rows.filter(r => r.whisker).map(r => [round(r.whisker!.lo, 2), round(r.whisker!.hi, 2)])).toEqual(
        w.whiskers
      );
      expect(c.rows.map(r => [round(r.value.x, 1), r.value.text])).toEqual(w.values);
      expect(c.rows.map(r => r.label)).toEqual(w.labels);
      expect(c.ticks.map(t => t.text)).toEqual(w.ticks);
    });
  });

  it('places measurements under the same findings as the Python widget', () => {
    const { placed, unmatched } = byFinding(report.findings, report.measurements);
    const counts: Record<string, number> = {};
    placed.forEach((ms, i) => (counts[String(i)] = ms.length));
    expect(counts).toEqual(want.by_finding.placed);
    expect(unmatched.length).toBe(want.by_finding.unmatched);
  });
});

describe('the fixtures cover what the view shows', () => {
  it('has a real run with a rewrite, a plan, a lineage and a measurement', () => {
    const r = real.report;
    expect(r.findings.some(f => f.rewrite && f.rewrite.cell)).toBe(true);
    expect(r.plans.length).toBeGreaterThan(0);
    expect(r.lineages.length).toBeGreaterThan(0);
    expect(r.measurements.length).toBeGreaterThan(0);
    expect(snapshotOf(real.metadata)).toEqual(expect.any(Number));
  });

  it('has flagged plan nodes and every measurement status the view words differently', () => {
    expect(NAMES.some(n => reports[n].plans.some(p => flaggedCount(p) > 0))).toBe(true);
    const statuses = new Set(NAMES.flatMap(n => reports[n].measurements.map(m => m.status)));
    expect([...statuses].sort()).toEqual(['done', 'failed', 'not measured', 'timeout']);
  });
});

describe('pure helpers', () => {
  it('reads the snapshot key from the display metadata only when it is an integer', () => {
    expect(snapshotOf({ [MIME_TYPE]: { snapshot: 3 } })).toBe(3);
    expect(snapshotOf({ [MIME_TYPE]: { snapshot: null } })).toBeNull();
    expect(snapshotOf({ [MIME_TYPE]: { snapshot: 1.5 } })).toBeNull();
    expect(snapshotOf({ [MIME_TYPE]: { snapshot: '3' } })).toBeNull();
    expect(snapshotOf({ other: { snapshot: 3 } })).toBeNull();
    expect(snapshotOf(undefined)).toBeNull();
  });

  it('splits `code` out of messages and leaves markup as text', () => {
    const hostile = '<img src=x onerror=alert(1)>';
    expect(inlineSpans(`use \`reduceByKey\` not ${hostile}`)).toEqual([
      { text: 'use ', code: false },
      { text: 'reduceByKey', code: true },
      { text: ` not ${hostile}`, code: false }
    ]);
    expect(inlineSpans('a lone ` backtick')).toEqual([{ text: 'a lone ` backtick', code: false }]);
  });

  it('classes diff lines', () => {
    expect(diffLines('--- cell\n+++ cell (rewritten)\n@@ -1 +1 @@\n-a\n+b\n c\n')).toEqual([
      ['--- cell', 'head'],
      ['+++ cell (rewritten)', 'head'],
      ['@@ -1 +1 @@', 'hunk'],
      ['-a', 'del'],
      ['+b', 'add'],
      [' c', 'ctx']
    ]);
    expect(diffLines('')).toEqual([]);
  });

  it('writes sizes and times as the Python views do', () => {
    expect(humanBytes(999)).toBe('999 B');
    expect(humanBytes(12_300_000)).toBe('12.3 MB');
    expect(humanBytes(999_960)).toBe('1.0 MB');
    expect(humanSeconds(1.8432)).toBe('1.84 s');
    expect(humanSeconds(83.2)).toBe('1 min 23 s');
    expect(humanSeconds(7300)).toBe('2 h 1 min');
  });

  it('ends the chart axis on a round number at or above the largest value', () => {
    expect([0.7, 1, 1.2, 2.2, 3.1, 7, 0].map(nice)).toEqual([1, 1, 2, 2.5, 5, 10, 1]);
    const m = structuredClone(reports.views.measurements[0]) as IMeasurement;
    const chart = chartGeometry(m)!;
    const [original, rewrite] = chart.rows;
    // Bars are proportional to the medians: the ratio of widths is the ratio of medians.
    expect(original.bar!.width / rewrite.bar!.width).toBeCloseTo(m.variants[0].median_s! / m.variants[1].median_s!, 6);
    expect(original.whisker!.hi).toBeLessThanOrEqual(LABEL_W + PLOT_W);
    expect(rewrite.kind).toBe('rewrite');
    m.same_result = false;
    expect(chartGeometry(m)!.rows[1].kind).toBe('changed');
  });
});

describe('runBasis', () => {
  it('is the cell itself while it holds the text run (the report adds a final newline)', () => {
    const cell = '%%sparklint --measure\nx = 1\ny = 2';
    expect(runBasis(cell, cell + '\n')).toBe(cell);
  });
  it('is the text run when the cell changed since', () => {
    expect(runBasis('%%sparklint\nx = 10\n', '%%sparklint\nx = 1\n')).toBe('%%sparklint\nx = 1\n');
  });
});
