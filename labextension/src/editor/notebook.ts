/**
 * One open notebook's inline coaching: lint its code cells as the user types (through the server
 * route, never the kernel), keep the CoachModel's static findings current, and show every cell's
 * findings as diagnostics in its editor. Editors of windowed notebooks appear lazily, so cells are
 * (re)drawn when they become ready or enter the viewport; only cells whose findings changed are.
 */
import { EditorView } from '@codemirror/view';
import { Notification } from '@jupyterlab/apputils';
import { Cell, ICellModel } from '@jupyterlab/cells';
import { CodeMirrorEditor } from '@jupyterlab/codemirror';
import { NotebookPanel } from '@jupyterlab/notebook';
import { IDisposable } from '@lumino/disposable';

import { requestAPI } from '../api';
import { ICoachContext } from '../context';
import { ILintCell, LintScheduler } from '../lint';
import { CoachModel } from '../model';
import { normalizeNewlines, planFix } from '../positions';
import { IFinding, ISettings } from '../types';
import {
  applyFix,
  basisFor,
  buildDiagnostics,
  currentDiagnostics,
  diagnosticsKey,
  FixResult,
  ICoachDiagnostic,
  IEditorTarget,
  showDiagnostics
} from './diagnostics';

/** The CodeMirror view of a cell, if its editor exists yet (windowed notebooks create it lazily). */
export function viewOf(cell: Cell): EditorView | null {
  const editor = cell.editor;
  return editor instanceof CodeMirrorEditor ? editor.editor : null;
}

function isCoachDiagnostic(d: object): d is ICoachDiagnostic {
  return 'finding' in d && 'basis' in d;
}

/** End the shared model's current undo capture, so the fix is its own undo step. */
function stopCapturing(cell: Cell): void {
  const shared = cell.model.sharedModel as unknown as { undoManager?: { stopCapturing(): void } | null };
  shared.undoManager?.stopCapturing();
}

/** What `sparkcoach:apply-fix` answers. */
export interface IApplyFixResult {
  applied: boolean;
  message: string;
}

export class NotebookCoach implements IDisposable {
  readonly panel: NotebookPanel;
  readonly model: CoachModel;
  readonly scheduler: LintScheduler;
  private _context: ICoachContext;
  /** What each editor was last given: the findings' key and how many diagnostics that made. */
  private _shown = new WeakMap<EditorView, { key: string; count: number }>();
  private _watched = new Map<ICellModel, (sender: unknown, change: { sourceChange?: unknown }) => void>();
  private _hooked = new WeakSet<Cell>();
  private _settings: ISettings;
  private _disposed = false;

  constructor(panel: NotebookPanel, context: ICoachContext) {
    this.panel = panel;
    this._context = context;
    this._settings = { ...context.settings.current };
    this.model = context.models.get(panel);
    this.scheduler = new LintScheduler({
      cells: () => this.codeCells(),
      ignore: () => this._context.settings.current.ignoredRules,
      delay: () => this._context.settings.current.debounceMs,
      send: request =>
        requestAPI<unknown>(
          'lint',
          { method: 'POST', body: JSON.stringify(request) },
          this._context.app.serviceManager.serverSettings
        ),
      apply: byCell => this.model.setStatic(byCell)
    });
    this.model.changed.connect(this._refreshAll, this);
    panel.content.cellInViewportChanged.connect(this._onCellInViewport, this);
    panel.disposed.connect(this.dispose, this);
    void panel.context.ready.then(() => {
      if (this._disposed || !panel.content.model) {
        return;
      }
      panel.content.model.cells.changed.connect(this._onCellsChanged, this);
      this._watchCells();
      this._refreshAll();
      if (this._settings.lintAsYouType) {
        void this.scheduler.lintNow();
      }
    });
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this.scheduler.dispose();
    for (const [cell, handler] of this._watched) {
      cell.sharedModel.changed.disconnect(handler);
    }
    this._watched.clear();
    this.model.changed.disconnect(this._refreshAll, this);
    if (!this.panel.isDisposed) {
      this.panel.content.cellInViewportChanged.disconnect(this._onCellInViewport, this);
      this.panel.content.model?.cells.changed.disconnect(this._onCellsChanged, this);
    }
  }

  /** The notebook's code cells, in order, as the lint route wants them. */
  codeCells(): ILintCell[] {
    const out: ILintCell[] = [];
    const cells = this.panel.content.model?.cells;
    if (!cells) {
      return out;
    }
    for (let i = 0; i < cells.length; i++) {
      const cell = cells.get(i);
      if (cell.type === 'code') {
        out.push({ id: cell.id, source: cell.sharedModel.getSource() });
      }
    }
    return out;
  }

  /** Lint the whole notebook now, whatever the settings say. */
  lintNow(): Promise<void> {
    return this.scheduler.lintNow();
  }

  /** Follow new settings: off clears static findings; on, or other ignored rules, lints now. */
  onSettings(next: ISettings): void {
    const prev = this._settings;
    this._settings = { ...next };
    if (!next.lintAsYouType) {
      if (prev.lintAsYouType) {
        this.scheduler.cancel();
        this.model.setStatic(new Map());
      }
      return;
    }
    const ignoreChanged = [...prev.ignoredRules].sort().join(',') !== [...next.ignoredRules].sort().join(',');
    if (!prev.lintAsYouType || ignoreChanged) {
      void this.scheduler.lintNow();
    }
  }

  /** The cell widget with this cell id, if the notebook has one. */
  cellById(cellId: string): Cell | undefined {
    return this.panel.content.widgets.find(w => w.model.id === cellId);
  }

  /** Apply the fix of finding number `index` of `model.findings(cellId)`. */
  applyFixAt(cellId: string, index: number): IApplyFixResult {
    const cell = this.cellById(cellId);
    if (!cell) {
      return this._refused(`no cell ${cellId} in this notebook`, false);
    }
    const finding = this.model.findings(cellId)[index];
    if (!finding) {
      return this._refused(`the cell has no finding number ${index}`, false);
    }
    if (!finding.fix) {
      return this._refused(`${finding.code} has no fix`, false);
    }
    const view = viewOf(cell);
    if (view) {
      const shown = currentDiagnostics(view.state)
        .map(d => d.diagnostic)
        .find((d): d is ICoachDiagnostic => isCoachDiagnostic(d) && d.finding === finding);
      const basis = shown ? shown.basis : basisFor(finding, view.state.doc.toString());
      return this._report(cell, finding, () => applyFix(view, finding, basis));
    }
    return this._report(cell, finding, () => this._applyToSource(cell, finding));
  }

  /** Apply the first fixable finding under the cursor of the active cell. */
  applyFixUnderCursor(): IApplyFixResult {
    const cell = this.panel.content.activeCell;
    const view = cell ? viewOf(cell) : null;
    if (!cell || !view) {
      return this._refused('no active code cell', false);
    }
    const head = view.state.selection.main.head;
    const hit = currentDiagnostics(view.state).find(
      d => isCoachDiagnostic(d.diagnostic) && d.diagnostic.finding.fix !== null && d.from <= head && head <= d.to
    );
    if (!hit || !isCoachDiagnostic(hit.diagnostic)) {
      return this._refused('no fixable finding under the cursor', false);
    }
    const { finding, basis } = hit.diagnostic;
    return this._report(cell, finding, () => applyFix(view, finding, basis));
  }

  private _applyFromHover(cell: Cell, target: IEditorTarget, d: ICoachDiagnostic): void {
    this._report(cell, d.finding, () => applyFix(target, d.finding, d.basis));
  }

  /** A cell without an editor yet: edit its shared model in one transaction. */
  private _applyToSource(cell: Cell, finding: IFinding): FixResult {
    const shared = cell.model.sharedModel;
    const source = shared.getSource();
    if (source !== normalizeNewlines(source) || !finding.fix) {
      return { ok: false, reason: 'open the cell in the editor first' };
    }
    const plan = planFix(finding.fix.edits, basisFor(finding, source), source);
    if (!plan.ok) {
      return plan;
    }
    shared.transact(() => {
      for (const c of [...plan.changes].reverse()) {
        shared.updateSource(c.from, c.to, c.insert);
      }
    });
    return { ok: true };
  }

  private _report(cell: Cell, finding: IFinding, apply: () => FixResult): IApplyFixResult {
    stopCapturing(cell);
    const result = apply();
    stopCapturing(cell);
    if (result.ok) {
      return { applied: true, message: `applied ${finding.code}: ${finding.fix?.description ?? ''}` };
    }
    return this._refused(result.reason, true);
  }

  /** Say why a fix was not applied (a short notification) and, if the text moved on, lint again. */
  private _refused(reason: string, relint: boolean): IApplyFixResult {
    const message = `Spark Coach: fix not applied: ${reason}.`;
    Notification.warning(relint ? `${message} Checking the notebook again.` : message, { autoClose: 5000 });
    if (relint) {
      void this.scheduler.lintNow();
    }
    return { applied: false, message: reason };
  }

  private _onCellsChanged(): void {
    this._watchCells();
    if (this._settings.lintAsYouType) {
      this.scheduler.schedule();
    }
  }

  private _onCellInViewport(_: unknown, cell: Cell): void {
    this._refreshCell(cell);
  }

  /** Listen to the source of every cell, and draw each cell once its editor exists. */
  private _watchCells(): void {
    const cells = this.panel.content.model?.cells;
    const present = new Set<ICellModel>();
    if (cells) {
      for (let i = 0; i < cells.length; i++) {
        present.add(cells.get(i));
      }
    }
    for (const [cell, handler] of this._watched) {
      if (!present.has(cell)) {
        cell.sharedModel.changed.disconnect(handler);
        this._watched.delete(cell);
      }
    }
    for (const cell of present) {
      if (!this._watched.has(cell)) {
        const handler = (_sender: unknown, change: { sourceChange?: unknown }) => {
          if (change.sourceChange && cell.type === 'code' && this._settings.lintAsYouType) {
            this.scheduler.schedule();
          }
        };
        cell.sharedModel.changed.connect(handler);
        this._watched.set(cell, handler);
      }
    }
    for (const widget of this.panel.content.widgets) {
      if (!this._hooked.has(widget)) {
        this._hooked.add(widget);
        void widget.ready.then(() => this._refreshCell(widget));
      }
    }
  }

  private _refreshAll(): void {
    if (this._disposed) {
      return;
    }
    for (const widget of this.panel.content.widgets) {
      this._refreshCell(widget);
    }
  }

  /**
   * Show a cell's findings in its editor, unless it already shows them: same findings as last time
   * and none of those diagnostics gone since (a fix, or an edit that deleted a marked span, removes one).
   */
  private _refreshCell(cell: Cell): void {
    if (this._disposed || cell.isDisposed || cell.model.type !== 'code') {
      return;
    }
    const view = viewOf(cell);
    if (!view) {
      return;
    }
    const findings = this.model.findings(cell.model.id);
    const key = diagnosticsKey(findings);
    const shown = this._shown.get(view);
    if (shown === undefined && findings.length === 0) {
      return;
    }
    if (shown && shown.key === key && currentDiagnostics(view.state).length === shown.count) {
      return;
    }
    const diagnostics = buildDiagnostics(findings, view.state.doc.toString(), (target, d) =>
      this._applyFromHover(cell, target, d)
    );
    showDiagnostics(view, diagnostics);
    this._shown.set(view, { key, count: diagnostics.length });
  }
}
