/**
 * The renderer of `application/vnd.sparkcoach.findings+json` outputs: validates the payload, shows the
 * findings view, and tells the notebook's CoachModel about the cell's runtime findings (so the editor
 * underlines them and the side panel lists them) while the output is shown.
 */
import { Cell } from '@jupyterlab/cells';
import { NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { insertCodeCell } from '../comm';
import { ICoachContext } from '../context';
import { CoachModel, IRuntimeEntry } from '../model';
import { CoachModels } from '../models';
import { IMeasurement, IReport, MIME_TYPE } from '../types';
import { runBasis, snapshotOf } from './format';
import { setBasis } from '../lint';
import { validateReport } from '../validate';
import { invalidView, IViewActions, reportView } from './view';

const NOT_IN_NOTEBOOK = 'this output is not shown in a notebook: open the notebook to use this button';

interface IRegistered {
  model: CoachModel;
  cellId: string;
  entry: IRuntimeEntry;
}

export class FindingsRenderer extends Widget implements IRenderMime.IRenderer {
  private _report: IReport | null = null;
  private _snapshot: number | null = null;
  private _measurements: IMeasurement[] = [];
  private _registered: IRegistered | null = null;

  constructor(private _context: ICoachContext) {
    super();
    this.addClass('sparkcoach-view-host');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const checked = validateReport(model.data[MIME_TYPE]);
    this.node.textContent = '';
    if (!checked.ok) {
      const fallback = model.data['text/plain'];
      this.node.appendChild(invalidView(checked.error, typeof fallback === 'string' ? fallback : null));
      this._report = null;
      this._unregister();
      return;
    }
    this._report = checked.value;
    this._snapshot = snapshotOf(model.metadata);
    this._measurements = [...checked.value.measurements];
    this.node.appendChild(reportView(checked.value, { snapshot: this._snapshot, actions: this._actions() }));
    this._unregister();
    if (this.isAttached) {
      this._register();
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._unregister();
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (!this._registered) {
      this._register();
    }
  }

  /** The notebook and cell this output is in (its widget parents, else the cell holding its node). */
  private _where(): { panel: NotebookPanel; cell: Cell } | null {
    const found = CoachModels.locate(this);
    if (found) {
      return found;
    }
    let cell: Cell | undefined;
    const panel = this._context.tracker.find(p => {
      cell = p.content.widgets.find(c => c.node.contains(this.node));
      return cell !== undefined;
    });
    return panel && cell ? { panel, cell } : null;
  }

  private _register(): void {
    const where = this._report ? this._where() : null;
    if (!this._report || !where) {
      return;
    }
    const model = this._context.models.get(where.panel);
    const cellId = where.cell.model.id;
    // The editor maps runtime findings (and their fixes) from the text the cell was run as.
    const basis = runBasis(where.cell.model.sharedModel.getSource(), this._report.cell.source);
    for (const f of this._report.findings) {
      setBasis(f, basis);
    }
    model.setRuntime(cellId, {
      findings: this._report.findings,
      measurements: this._measurements,
      snapshot: this._snapshot
    });
    const entry = model.runtime(cellId);
    this._registered = entry ? { model, cellId, entry } : null;
  }

  /** Clear the cell's runtime findings, unless a newer output replaced them. */
  private _unregister(): void {
    const r = this._registered;
    this._registered = null;
    if (r && r.model.runtime(r.cellId) === r.entry) {
      r.model.clearRuntime(r.cellId);
    }
  }

  private _actions(): IViewActions {
    return {
      insert: text => {
        const where = this._where();
        if (!where) {
          return NOT_IN_NOTEBOOK;
        }
        const index = where.panel.content.widgets.indexOf(where.cell);
        return insertCodeCell(where.panel, index + 1, text) === null ? 'the notebook is not loaded yet' : null;
      },
      measure: index => {
        const where = this._where();
        if (!where || this._snapshot === null) {
          return Promise.reject(new Error(NOT_IN_NOTEBOOK));
        }
        return this._context.comms.measure(where.panel, this._snapshot, index);
      },
      measured: (_index, m) => {
        this._measurements.push(m);
        const r = this._registered;
        if (r && r.model.runtime(r.cellId) === r.entry) {
          r.model.addMeasurement(r.cellId, m);
        }
      }
    };
  }
}
