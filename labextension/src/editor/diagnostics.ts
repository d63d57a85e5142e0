/**
 * Findings as CodeMirror diagnostics, and fixes as one CodeMirror transaction. Works on an
 * `EditorState` plus a dispatch function, so it runs (and is tested) without a browser; the
 * notebook glue passes each cell's `EditorView`.
 */
import { Diagnostic, forEachDiagnostic, setDiagnostics } from '@codemirror/lint';
import { EditorState, TransactionSpec } from '@codemirror/state';

import { basisOf } from '../lint';
import { findingRange, planFix } from '../positions';
import { IFinding } from '../types';
import { fixLabel, renderFinding } from './hover';

/** What a fix needs from an editor: its state and a way to dispatch (an `EditorView` has both). */
export interface IEditorTarget {
  readonly state: EditorState;
  dispatch(spec: TransactionSpec): void;
}

/** A diagnostic made from a finding, remembering the finding and the text its positions refer to. */
export interface ICoachDiagnostic extends Diagnostic {
  finding: IFinding;
  basis: string;
}

/** CSS class on every range sparkcoach marks (and one per rule code, e.g. `jp-sparkcoach-SPK201`). */
export const RANGE_CLASS = 'jp-sparkcoach-range';
export const SOURCE = 'sparkcoach';

/** The text a finding's positions refer to: what it was linted from, else the editor's text now. */
export function basisFor(finding: IFinding, current: string): string {
  return basisOf(finding) ?? current;
}

/**
 * A key that changes when the diagnostics of a cell would: the findings' content and the texts they
 * were computed from. Findings with no recorded basis count as computed from whatever is shown.
 */
export function diagnosticsKey(findings: readonly IFinding[]): string {
  return JSON.stringify(
    findings.map(f => [
      f.code,
      f.severity,
      f.message,
      f.line,
      f.column,
      f.end_line,
      f.end_column,
      f.fix,
      f.doc,
      basisOf(f) ?? null
    ])
  );
}

/**
 * Diagnostics for `findings` on an editor holding `current`. A finding whose span was edited since
 * it was linted is left out (the next lint brings it back where it belongs). `onFix` runs a finding's
 * quick fix.
 */
export function buildDiagnostics(
  findings: readonly IFinding[],
  current: string,
  onFix: (target: IEditorTarget, diagnostic: ICoachDiagnostic) => void
): ICoachDiagnostic[] {
  const out: ICoachDiagnostic[] = [];
  for (const finding of findings) {
    const basis = basisFor(finding, current);
    const range = findingRange(finding, basis, current);
    if (!range) {
      continue;
    }
    const diagnostic: ICoachDiagnostic = {
      from: range.from,
      to: range.to,
      severity: finding.severity,
      source: SOURCE,
      markClass: `${RANGE_CLASS} jp-sparkcoach-${finding.code}`,
      message: `${finding.code} ${finding.name}: ${finding.message}`,
      renderMessage: () => renderFinding(finding),
      finding,
      basis
    };
    if (finding.fix && finding.fix.edits.length > 0) {
      diagnostic.actions = [
        {
          name: fixLabel(finding.fix),
          markClass: `jp-sparkcoach-fix jp-sparkcoach-fix-${finding.fix.safety}`,
          apply: view => onFix(view, diagnostic)
        }
      ];
    }
    out.push(diagnostic);
  }
  return out;
}

/** Replace an editor's diagnostics (this does not change the text, so it is no undo step). */
export function showDiagnostics(target: IEditorTarget, diagnostics: readonly Diagnostic[]): void {
  target.dispatch(setDiagnostics(target.state, diagnostics));
}

/** The diagnostics an editor shows now, at their current (mapped) positions. */
export function currentDiagnostics(state: EditorState): { diagnostic: Diagnostic; from: number; to: number }[] {
  const out: { diagnostic: Diagnostic; from: number; to: number }[] = [];
  forEachDiagnostic(state, (diagnostic, from, to) => out.push({ diagnostic, from, to }));
  return out;
}

export type FixResult = { ok: true } | { ok: false; reason: string };

/** The transaction that applies a finding's fix to `state`, or why it cannot be applied. */
export function fixTransaction(
  state: EditorState,
  finding: IFinding,
  basis: string
): { ok: true; spec: TransactionSpec } | { ok: false; reason: string } {
  if (!finding.fix) {
    return { ok: false, reason: `${finding.code} has no fix` };
  }
  const plan = planFix(finding.fix.edits, basis, state.doc.toString());
  if (!plan.ok) {
    return plan;
  }
  return {
    ok: true,
    spec: { changes: plan.changes, userEvent: 'input.sparkcoach.fix', scrollIntoView: true }
  };
}

/**
 * Apply a finding's fix in ONE transaction (one undo step), then stop showing that finding's
 * diagnostic (the others keep their mapped positions) until the next lint.
 */
export function applyFix(target: IEditorTarget, finding: IFinding, basis: string): FixResult {
  const tx = fixTransaction(target.state, finding, basis);
  if (!tx.ok) {
    return tx;
  }
  target.dispatch(tx.spec);
  const kept = currentDiagnostics(target.state)
    .filter(d => (d.diagnostic as Partial<ICoachDiagnostic>).finding !== finding)
    .map(d => ({ ...d.diagnostic, from: d.from, to: d.to }));
  showDiagnostics(target, kept);
  return { ok: true };
}
