import { execFileSync } from 'child_process';
import { existsSync } from 'fs';
import { resolve } from 'path';
import { describe, expect, it } from 'vitest';

import {
  applyChanges,
  columnToOffset,
  diffTexts,
  findingRange,
  firstParagraph,
  isSameText,
  LineIndex,
  lineStarts,
  mapRange,
  normalizeNewlines,
  planFix
} from '../src/positions';
import { IEdit, IFinding } from '../src/types';

function finding(line: number, column: number, end_line: number, end_column: number, edits: IEdit[] = []): IFinding {
  return {
    code: 'SPK201',
    name: 'group-by-key',
    severity: 'warning',
    message: 'm',
    path: '<notebook>',
    cell: 0,
    line,
    column,
    end_line,
    end_column,
    fix: edits.length ? { description: 'd', safety: 'safe', edits } : null,
    doc: ''
  };
}

function edit(line: number, column: number, end_line: number, end_column: number, replacement: string): IEdit {
  return { line, column, end_line, end_column, replacement };
}

describe('line and column conversion', () => {
  it('finds line starts', () => {
    expect(lineStarts('ab\n\ncd')).toEqual([0, 3, 4]);
    expect(lineStarts('')).toEqual([0]);
  });

  it('counts columns in code points and offsets in UTF-16 units', () => {
    const line = 'x = "😀"; y';
    // 😀 is one code point (column 6) but two UTF-16 units
    expect(columnToOffset(line, 6)).toEqual({ offset: 5, inside: true });
    expect(columnToOffset(line, 7)).toEqual({ offset: 7, inside: true });
    expect(line.slice(columnToOffset(line, 10).offset)).toBe('y');
    // 10 code points: column 11 is just past the end (an exclusive end), column 12 is outside
    expect(columnToOffset(line, 11)).toEqual({ offset: line.length, inside: true });
    expect(columnToOffset(line, 12)).toEqual({ offset: line.length, inside: false });
  });

  it('clamps out-of-range columns and lines instead of throwing', () => {
    expect(columnToOffset('abc', 99)).toEqual({ offset: 3, inside: false });
    expect(columnToOffset('abc', 0)).toEqual({ offset: 0, inside: false });
    expect(columnToOffset('abc', NaN)).toEqual({ offset: 0, inside: false });
    const index = new LineIndex('ab\ncd');
    expect(index.offset(0, 1)).toEqual({ offset: 0, inside: false });
    expect(index.offset(7, 1)).toEqual({ offset: 5, inside: false });
    expect(index.span({ line: 2, column: 2, end_line: 9, end_column: 9 })).toEqual({ from: 4, to: 5, inside: false });
    // reversed spans come back ordered
    expect(index.span({ line: 2, column: 3, end_line: 1, end_column: 1 })).toEqual({ from: 0, to: 5, inside: false });
  });

  it('treats \\r\\n and \\r as one line break, as CodeMirror does', () => {
    expect(normalizeNewlines('a\r\nb\rc\n')).toBe('a\nb\nc\n');
    const index = new LineIndex('ab\r\ncd');
    expect(index.line(2)).toBe('cd');
    expect(index.offset(2, 2).offset).toBe(4);
  });

  it('places a span after an astral character on the right text', () => {
    const text = 'rdd = sc.parallelize([("a", 1)])\nx = "😀"; counts = rdd.groupByKey().mapValues(sum)';
    const range = findingRange(finding(2, 23, 2, 50), text, text);
    expect(range).not.toBeNull();
    expect(text.slice(range!.from, range!.to)).toBe('groupByKey().mapValues(sum)');
  });
});

describe('the Python engine and these helpers agree on columns', () => {
  // The real engine, not a copy of its output: columns it reports must land on the same text here.
  const python = [process.env.SPARKCOACH_PYTHON, resolve(__dirname, '../../.venv/bin/python')].find(
    (p): p is string => !!p && existsSync(p)
  );

  it('finds a python to run the engine', () => {
    expect(python, 'set SPARKCOACH_PYTHON or create ../.venv').toBeDefined();
  });

  it('maps the route\'s findings onto the flagged call, emoji before it', () => {
    const cells = [
      { id: 'a', source: 'rdd = sc.parallelize([("a", 1)])' },
      { id: 'b', source: '# 🚀 astral → é\nlabel = "😀😀"; counts = rdd.groupByKey().mapValues(sum)' }
    ];
    const script =
      'import json, sys\nfrom sparkcoach.server.lint import lint_body\n' +
      'print(json.dumps(lint_body(sys.stdin.read())))';
    const out = execFileSync(python!, ['-c', script], {
      input: JSON.stringify({ cells }),
      cwd: resolve(__dirname, '../..'),
      encoding: 'utf-8'
    });
    const findings = (JSON.parse(out) as { findings: (IFinding & { cell_id: string })[] }).findings;
    const f = findings.find(x => x.code === 'SPK201');
    expect(f).toBeDefined();
    expect(f!.cell_id).toBe('b');
    const source = cells[1].source;
    const range = findingRange(f!, source, source)!;
    expect(source.slice(range.from, range.to)).toContain('groupByKey()');
    const plan = planFix(f!.fix!.edits, source, source);
    expect(plan.ok).toBe(true);
    if (plan.ok) {
      const fixed = applyChanges(source, plan.changes);
      expect(fixed).toContain('reduceByKey');
      expect(fixed).not.toContain('groupByKey');
      expect(fixed.startsWith('# 🚀 astral → é\nlabel = "😀😀"; counts = rdd.')).toBe(true);
    }
  });
});

describe('diffTexts and mapRange', () => {
  it('reports equal texts', () => {
    expect(isSameText(diffTexts('abc', 'abc'))).toBe(true);
    expect(isSameText(diffTexts('abc', 'abd'))).toBe(false);
  });

  it('finds the one changed region', () => {
    expect(diffTexts('hello world', 'hello big world')).toEqual({ start: 6, endA: 6, endB: 10 });
    expect(diffTexts('abcdef', 'abXef')).toEqual({ start: 2, endA: 4, endB: 3 });
  });

  it('never splits a surrogate pair', () => {
    // 😀 and 😃 share their high surrogate: the region must start before it
    const d = diffTexts('a😀b', 'a😃b');
    expect(d).toEqual({ start: 1, endA: 3, endB: 3 });
  });

  it('keeps ranges before the change, shifts ranges after it, refuses ranges touching it', () => {
    const d = diffTexts('abc def ghi', 'abc XXXX ghi'); // def → XXXX
    expect(d).toEqual({ start: 4, endA: 7, endB: 8 });
    expect(mapRange(d, { from: 0, to: 3 })).toEqual({ from: 0, to: 3 });
    expect(mapRange(d, { from: 8, to: 11 })).toEqual({ from: 9, to: 12 });
    expect(mapRange(d, { from: 5, to: 6 })).toBeNull();
    expect(mapRange(d, { from: 0, to: 5 })).toBeNull();
    // an empty range on the region's edge is ambiguous
    expect(mapRange(d, { from: 4, to: 4 })).toBeNull();
    expect(mapRange(d, { from: 3, to: 3 })).toEqual({ from: 3, to: 3 });
  });

  it('maps a finding past an edit made above it, and drops one whose text was edited', () => {
    const basis = 'a = 1\ncounts = rdd.groupByKey()';
    const moved = 'a = 12345\n\ncounts = rdd.groupByKey()';
    const range = findingRange(finding(2, 14, 2, 28), basis, moved)!;
    expect(moved.slice(range.from, range.to)).toBe('groupByKey()');
    const edited = 'a = 1\ncounts = rdd.groupBy()';
    expect(findingRange(finding(2, 14, 2, 28), basis, edited)).toBeNull();
  });
});

describe('planFix', () => {
  const basis = 'x = rdd.groupByKey().mapValues(sum)\ny = x.collect()';

  it('turns edits into sorted CodeMirror changes', () => {
    const edits = [edit(2, 7, 2, 16, 'take(10)'), edit(1, 9, 1, 36, 'reduceByKey(add)')];
    const plan = planFix(edits, basis, basis);
    expect(plan).toEqual({
      ok: true,
      changes: [
        { from: 8, to: 35, insert: 'reduceByKey(add)' },
        { from: 42, to: 51, insert: 'take(10)' }
      ]
    });
    if (plan.ok) {
      expect(applyChanges(basis, plan.changes)).toBe('x = rdd.reduceByKey(add)\ny = x.take(10)');
    }
  });

  it('applies to a text edited elsewhere, shifted', () => {
    const current = '# note\n' + basis;
    const plan = planFix([edit(1, 9, 1, 36, 'reduceByKey(add)')], basis, current);
    expect(plan.ok).toBe(true);
    if (plan.ok) {
      expect(applyChanges(current, plan.changes)).toBe('# note\nx = rdd.reduceByKey(add)\ny = x.collect()');
    }
  });

  it('refuses a fix whose text changed since it was linted', () => {
    const current = basis.replace('mapValues(sum)', 'mapValues(len)');
    const plan = planFix([edit(1, 9, 1, 36, 'reduceByKey(add)')], basis, current);
    expect(plan).toEqual({ ok: false, reason: 'the cell changed where the fix applies' });
  });

  it('refuses edits outside the text, overlapping edits and empty fixes', () => {
    expect(planFix([edit(9, 1, 9, 2, 'z')], basis, basis).ok).toBe(false);
    expect(planFix([edit(1, 1, 1, 99, 'z')], basis, basis).ok).toBe(false);
    const overlap = planFix([edit(1, 1, 1, 10, 'a'), edit(1, 5, 1, 12, 'b')], basis, basis);
    expect(overlap).toEqual({ ok: false, reason: 'the fix has overlapping edits' });
    expect(planFix([], basis, basis).ok).toBe(false);
  });

  it('counts edit columns in code points', () => {
    const text = 's = "🚀"; r = rdd.groupByKey()';
    const plan = planFix([edit(1, 18, 1, 30, 'reduceByKey(add)')], text, text);
    expect(plan.ok).toBe(true);
    if (plan.ok) {
      expect(applyChanges(text, plan.changes)).toBe('s = "🚀"; r = rdd.reduceByKey(add)');
    }
  });
});

describe('firstParagraph', () => {
  it('takes the first paragraph, skipping headings, whitespace collapsed', () => {
    expect(firstParagraph('## Why is this bad?\n`groupByKey` ships\nevery value.\n\nSecond.')).toBe(
      '`groupByKey` ships every value.'
    );
    expect(firstParagraph('One line.')).toBe('One line.');
    expect(firstParagraph('')).toBe('');
    expect(firstParagraph('\r\n\r\nAfter blank\r\n\r\nnext')).toBe('After blank');
  });
});
