/**
 * Findings → @codemirror/lint diagnostics → fixes, on a real CodeMirror EditorState (no view, no DOM):
 * the same state machinery the notebook editors run.
 */
import { Diagnostic } from '@codemirror/lint';
import { EditorState, Transaction, TransactionSpec } from '@codemirror/state';
import { describe, expect, it } from 'vitest';

import {
  applyFix,
  buildDiagnostics,
  currentDiagnostics,
  diagnosticsKey,
  fixTransaction,
  ICoachDiagnostic,
  IEditorTarget,
  showDiagnostics
} from '../src/editor/diagnostics';
import { fixLabel, splitInlineCode } from '../src/editor/hover';
import { setBasis } from '../src/lint';
import { IFinding } from '../src/types';

const SOURCE = 'rdd = sc.parallelize([("a", 1)])\nlabel = "😀"; counts = rdd.groupByKey().mapValues(sum)';
// line 2: `groupByKey().mapValues(sum)` starts at code-point column 27 (the emoji is one column)

function groupByKey(basis?: string, safety: 'safe' | 'unsafe' = 'safe'): IFinding {
  const f: IFinding = {
    code: 'SPK201',
    name: 'group-by-key',
    severity: 'warning',
    message: '`groupByKey()` then `sum` shuffles every value',
    path: '<notebook>',
    cell: 1,
    line: 2,
    column: 27,
    end_line: 2,
    end_column: 54,
    fix: {
      description: 'Replace groupByKey().mapValues(...) with reduceByKey',
      safety,
      edits: [{ line: 2, column: 27, end_line: 2, end_column: 54, replacement: 'reduceByKey(lambda a, b: a + b)' }]
    },
    doc: 'why'
  };
  if (basis !== undefined) {
    setBasis(f, basis);
  }
  return f;
}

function collect(basis?: string): IFinding {
  const f: IFinding = {
    code: 'SPK101',
    name: 'collect-to-driver',
    severity: 'error',
    message: 'collect',
    path: '<notebook>',
    cell: 1,
    line: 1,
    column: 1,
    end_line: 1,
    end_column: 4,
    fix: null,
    doc: ''
  };
  if (basis !== undefined) {
    setBasis(f, basis);
  }
  return f;
}

/** An editor without a view: holds a state, records every transaction dispatched to it. */
class StateEditor implements IEditorTarget {
  state: EditorState;
  transactions: Transaction[] = [];

  constructor(doc: string) {
    this.state = EditorState.create({ doc });
  }

  dispatch(spec: TransactionSpec): void {
    const tr = this.state.update(spec);
    this.transactions.push(tr);
    this.state = tr.state;
  }

  type(from: number, to: number, insert: string): void {
    this.dispatch({ changes: { from, to, insert } });
  }
}

function shown(editor: StateEditor): { text: string; severity: string; code: string }[] {
  return currentDiagnostics(editor.state).map(d => ({
    text: editor.state.sliceDoc(d.from, d.to),
    severity: d.diagnostic.severity,
    code: (d.diagnostic as ICoachDiagnostic).finding.code
  }));
}

describe('buildDiagnostics', () => {
  it('underlines the finding span, astral characters before it', () => {
    const editor = new StateEditor(SOURCE);
    const ds = buildDiagnostics([collect(SOURCE), groupByKey(SOURCE)], SOURCE, () => undefined);
    showDiagnostics(editor, ds);
    expect(shown(editor)).toEqual([
      { text: 'rdd', severity: 'error', code: 'SPK101' },
      { text: 'groupByKey().mapValues(sum)', severity: 'warning', code: 'SPK201' }
    ]);
    expect(ds[1].markClass).toContain('jp-sparkcoach-range');
    expect(ds[1].markClass).toContain('jp-sparkcoach-SPK201');
    expect(ds[1].message).toBe('SPK201 group-by-key: `groupByKey()` then `sum` shuffles every value');
    expect(ds[1].actions!.map(a => a.name)).toEqual(['Fix: Replace groupByKey().mapValues(...) with reduceByKey']);
    expect(ds[0].actions).toBeUndefined();
  });

  it('maps findings computed from an older text, and leaves out those whose span was edited', () => {
    const current = '# a comment\n' + SOURCE.replace('"a", 1', '"a", 1, 2');
    // line 1 changed under SPK101; SPK201 only moved
    const ds = buildDiagnostics([collect(SOURCE), groupByKey(SOURCE)], current, () => undefined);
    const editor = new StateEditor(current);
    showDiagnostics(editor, ds);
    expect(shown(editor)).toEqual([{ text: 'groupByKey().mapValues(sum)', severity: 'warning', code: 'SPK201' }]);
  });

  it('clamps a span beyond the text instead of throwing', () => {
    const f = { ...collect(), line: 2, column: 50, end_line: 9, end_column: 1 };
    const ds = buildDiagnostics([f], SOURCE, () => undefined);
    expect(ds).toHaveLength(1);
    expect(ds[0].to).toBe(SOURCE.length);
    expect(ds[0].from).toBeLessThanOrEqual(ds[0].to);
  });

  it('uses the shown text for findings with no recorded basis (runtime findings)', () => {
    const ds = buildDiagnostics([groupByKey()], SOURCE, () => undefined);
    expect(SOURCE.slice(ds[0].from, ds[0].to)).toBe('groupByKey().mapValues(sum)');
    expect(ds[0].basis).toBe(SOURCE);
  });
});

describe('diagnosticsKey', () => {
  it('changes with the findings or the text they came from, not with object identity', () => {
    expect(diagnosticsKey([groupByKey(SOURCE)])).toBe(diagnosticsKey([groupByKey(SOURCE)]));
    expect(diagnosticsKey([groupByKey(SOURCE)])).not.toBe(diagnosticsKey([groupByKey(SOURCE + ' ')]));
    expect(diagnosticsKey([groupByKey(SOURCE)])).not.toBe(diagnosticsKey([groupByKey(SOURCE, 'unsafe')]));
    expect(diagnosticsKey([])).not.toBe(diagnosticsKey([collect(SOURCE)]));
  });
});

describe('fixes', () => {
  it('applies all edits in one transaction and drops only that diagnostic', () => {
    const editor = new StateEditor(SOURCE);
    const g = groupByKey(SOURCE);
    showDiagnostics(editor, buildDiagnostics([collect(SOURCE), g], SOURCE, () => undefined));
    const before = editor.transactions.length;
    expect(applyFix(editor, g, SOURCE)).toEqual({ ok: true });
    const changing = editor.transactions.slice(before).filter(tr => tr.docChanged);
    expect(changing).toHaveLength(1);
    expect(changing[0].isUserEvent('input')).toBe(true);
    expect(editor.state.doc.toString()).toBe(
      'rdd = sc.parallelize([("a", 1)])\nlabel = "😀"; counts = rdd.reduceByKey(lambda a, b: a + b)'
    );
    expect(shown(editor)).toEqual([{ text: 'rdd', severity: 'error', code: 'SPK101' }]);
    // the one transaction's inverse restores the text: one undo step
    const undone = editor.state.update({ changes: changing[0].changes.invert(changing[0].startState.doc) });
    expect(undone.state.doc.toString()).toBe(SOURCE);
  });

  it('runs the fix from the diagnostic action with the text the finding came from', () => {
    const editor = new StateEditor(SOURCE);
    const calls: ICoachDiagnostic[] = [];
    const ds = buildDiagnostics([groupByKey(SOURCE)], SOURCE, (target, d) => {
      calls.push(d);
      applyFix(target, d.finding, d.basis);
    });
    showDiagnostics(editor, ds);
    editor.type(0, 0, '# first\n');
    // @codemirror/lint hands the action an EditorView; this state editor has the same two members
    const action = (ds[0] as Diagnostic).actions![0];
    action.apply(editor as never, 0, 0);
    expect(calls).toHaveLength(1);
    expect(editor.state.doc.toString()).toBe(
      '# first\nrdd = sc.parallelize([("a", 1)])\nlabel = "😀"; counts = rdd.reduceByKey(lambda a, b: a + b)'
    );
  });

  it('refuses a stale fix without touching the text', () => {
    const edited = SOURCE.replace('mapValues(sum)', 'mapValues(max)');
    const editor = new StateEditor(edited);
    const tx = fixTransaction(editor.state, groupByKey(SOURCE), SOURCE);
    expect(tx).toEqual({ ok: false, reason: 'the cell changed where the fix applies' });
    expect(applyFix(editor, groupByKey(SOURCE), SOURCE).ok).toBe(false);
    expect(editor.transactions).toHaveLength(0);
    expect(editor.state.doc.toString()).toBe(edited);
  });

  it('labels unsafe fixes as such', () => {
    expect(fixLabel(groupByKey(SOURCE, 'unsafe').fix!)).toBe(
      'Fix (unsafe): Replace groupByKey().mapValues(...) with reduceByKey'
    );
  });
});

describe('splitInlineCode', () => {
  it('splits backtick code from text, leaving an unpaired backtick as text', () => {
    expect(splitInlineCode('use `reduceByKey` not `x')).toEqual([
      { code: false, text: 'use ' },
      { code: true, text: 'reduceByKey' },
      { code: false, text: ' not `x' }
    ]);
    expect(splitInlineCode('<b>`x`</b>')).toEqual([
      { code: false, text: '<b>' },
      { code: true, text: 'x' },
      { code: false, text: '</b>' }
    ]);
  });
});
