/** One CoachModel per open notebook panel, created on first use and dropped when the panel closes. */
import { Cell } from '@jupyterlab/cells';
import { NotebookPanel } from '@jupyterlab/notebook';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { CoachModel } from './model';

export class CoachModels {
  private _models = new Map<NotebookPanel, CoachModel>();
  private _added = new Signal<this, NotebookPanel>(this);
  private _disabled: readonly string[] = [];

  /** Emitted when a notebook gets its model. */
  get added(): ISignal<this, NotebookPanel> {
    return this._added;
  }

  get(panel: NotebookPanel): CoachModel {
    let model = this._models.get(panel);
    if (!model) {
      model = new CoachModel();
      model.setDisabledRules(this._disabled);
      this._models.set(panel, model);
      panel.disposed.connect(() => this._models.delete(panel));
      this._added.emit(panel);
    }
    return model;
  }

  /** Existing models only. */
  entries(): [NotebookPanel, CoachModel][] {
    return [...this._models.entries()];
  }

  /** Switched-off rules for every notebook (settings' ignoredRules). */
  setDisabledRules(codes: readonly string[]): void {
    this._disabled = [...codes];
    for (const m of this._models.values()) {
      m.setDisabledRules(codes);
    }
  }

  /** The notebook panel and cell a widget (e.g. an output renderer) sits in, if any. */
  static locate(widget: Widget): { panel: NotebookPanel; cell: Cell } | null {
    let cell: Cell | null = null;
    for (let w: Widget | null = widget; w; w = w.parent) {
      if (!cell && w instanceof Cell) {
        cell = w;
      }
      if (w instanceof NotebookPanel) {
        return cell ? { panel: w, cell } : null;
      }
    }
    return null;
  }
}
