/**
 * The channel to sparkcoach in each notebook's kernel (comm target "sparkcoach"; the kernel side is
 * sparkcoach/frontend.py).
 *
 * When a notebook's kernel is ready (and again after each restart) the extension opens a comm to the
 * kernel's target; a kernel where sparkcoach is not loaded closes it, quietly. `%load_ext sparkcoach`
 * offers a comm from the kernel to the frontend target registered here; the extension answers by
 * opening its own and closing the offer, so there is one comm per kernel and the kernel only talks
 * to frontends that answered.
 *
 * Messages: kernel → frontend `{action: "insert-cell", text}` inserts a code cell below the notebook's
 * active cell; frontend → kernel `{action: "measure", request, snapshot, finding}` is answered with
 * `{action: "measurement", request, measurement}` or `{action: "error", request, message}`.
 */
import { ISessionContext } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { Kernel, KernelMessage } from '@jupyterlab/services';
import { UUID } from '@lumino/coreutils';

import { IKernelChannel } from './context';
import { COMM_TARGET, IMeasurement } from './types';
import { validateMeasurement } from './validate';

/** A message from the kernel, checked. */
export type KernelAnswer =
  | { action: 'insert-cell'; text: string }
  | { action: 'measurement'; request: string; measurement: IMeasurement }
  | { action: 'error'; request: string | null; message: string };

export const NOT_LOADED = "sparkcoach is not loaded in this notebook's kernel: run %load_ext sparkcoach";

/**
 * Read one comm message's data: a known action with the right fields, or a one-line reason it is not.
 * A measurement is checked against the schema's `$defs/measurement`.
 */
export function parseKernelMessage(data: unknown): KernelAnswer | { invalid: string } {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { invalid: 'a sparkcoach comm message must be an object' };
  }
  const d = data as { [key: string]: unknown };
  switch (d.action) {
    case 'insert-cell':
      return typeof d.text === 'string'
        ? { action: 'insert-cell', text: d.text }
        : { invalid: 'insert-cell without a text' };
    case 'measurement': {
      if (typeof d.request !== 'string') {
        return { invalid: 'a measurement without its request id' };
      }
      const checked = validateMeasurement(d.measurement);
      return checked.ok
        ? { action: 'measurement', request: d.request, measurement: checked.value }
        : { action: 'error', request: d.request, message: checked.error };
    }
    case 'error':
      return {
        action: 'error',
        request: typeof d.request === 'string' ? d.request : null,
        message: typeof d.message === 'string' && d.message.trim() ? d.message.trim().split('\n')[0] : 'unknown error'
      };
    default:
      return { invalid: `unknown sparkcoach comm action ${JSON.stringify(d.action)}` };
  }
}

/**
 * Insert a code cell holding `text` at `index` of the notebook (clamped), make it the active cell and
 * return its index; null without a notebook model.
 */
export function insertCodeCell(panel: NotebookPanel, index: number, text: string): number | null {
  const notebook = panel.content;
  const model = notebook.model;
  if (!model) {
    return null;
  }
  const at = Math.max(0, Math.min(index, model.cells.length));
  model.sharedModel.insertCell(at, { cell_type: 'code', source: text, metadata: {} });
  notebook.activeCellIndex = at;
  return at;
}

interface IPending {
  resolve: (m: IMeasurement) => void;
  reject: (e: Error) => void;
  comm: Kernel.IComm;
}

/** The comm of one session (shared by every view of its notebook). */
class Channel {
  private _kernel: Kernel.IKernelConnection | null = null;
  private _comm: Kernel.IComm | null = null;
  private _opening: Promise<boolean> | null = null;
  private _restarted = false;
  private _pending = new Map<string, IPending>();
  private _disposed = false;

  constructor(
    readonly session: ISessionContext,
    private _target: () => NotebookPanel | null
  ) {
    session.kernelChanged.connect(this._onKernelChanged, this);
    void session.ready.then(() => this._attach(session.session?.kernel ?? null)).catch(() => undefined);
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this.session.kernelChanged.disconnect(this._onKernelChanged, this);
    this._attach(null);
  }

  /** Ask the kernel to measure finding `finding` of snapshot `snapshot`. */
  async measure(snapshot: number, finding: number): Promise<IMeasurement> {
    if (!this._kernel) {
      throw new Error('this notebook has no kernel');
    }
    if (!(await this._open())) {
      throw new Error(NOT_LOADED);
    }
    const comm = this._comm as Kernel.IComm;
    const request = UUID.uuid4();
    return new Promise<IMeasurement>((resolve, reject) => {
      this._pending.set(request, { resolve, reject, comm });
      try {
        comm.send({ action: 'measure', request, snapshot, finding });
      } catch (reason) {
        this._pending.delete(request);
        reject(new Error(`could not send the request to the kernel: ${String(reason)}`));
      }
    });
  }

  private _onKernelChanged(_: ISessionContext, change: { newValue: Kernel.IKernelConnection | null }): void {
    this._attach(change.newValue);
  }

  private _attach(kernel: Kernel.IKernelConnection | null): void {
    if (kernel === this._kernel) {
      return;
    }
    const old = this._kernel;
    this._drop(this._disposed ? 'the notebook closed' : 'the notebook changed kernel', true);
    if (old && !old.isDisposed) {
      old.statusChanged.disconnect(this._onStatus, this);
      old.removeCommTarget(COMM_TARGET, this._onOffer);
    }
    this._kernel = this._disposed ? null : kernel;
    if (!this._kernel || !this._kernel.handleComms) {
      return;
    }
    this._kernel.registerCommTarget(COMM_TARGET, this._onOffer);
    this._kernel.statusChanged.connect(this._onStatus, this);
    void this._open();
  }

  private _onStatus(kernel: Kernel.IKernelConnection, status: Kernel.Status): void {
    if (status === 'restarting' || status === 'autorestarting' || status === 'dead') {
      this._restarted = true;
      this._drop(status === 'dead' ? 'the kernel died' : 'the kernel restarted', false);
    } else if (status === 'idle' && this._restarted) {
      this._restarted = false;
      void this._open();
    }
  }

  /** The kernel offered a comm (`%load_ext sparkcoach`): answer with ours, close the offer. */
  private _onOffer = (offer: Kernel.IComm): void => {
    void this._open();
    try {
      offer.close();
    } catch {
      // the kernel went away: nothing to close
    }
  };

  /** Whether a comm to the kernel's sparkcoach is open, opening one when there is none. */
  private _open(): Promise<boolean> {
    if (this._comm && !this._comm.isDisposed) {
      return this._opening ?? Promise.resolve(true);
    }
    const kernel = this._kernel;
    if (!kernel || kernel.isDisposed || !kernel.handleComms) {
      return Promise.resolve(false);
    }
    let comm: Kernel.IComm;
    try {
      comm = kernel.createComm(COMM_TARGET);
    } catch {
      return Promise.resolve(false);
    }
    this._comm = comm;
    comm.onMsg = msg => this._onMessage(comm, msg);
    comm.onClose = () => this._closed(comm, "the kernel closed sparkcoach's channel");
    const opening = (async () => {
      try {
        // Done when the kernel went idle after the comm_open: by then it has kept or closed the comm.
        await comm.open({}).done;
      } catch {
        // a kernel going away: the comm is closed or disposed below
      }
      return this._comm === comm && !comm.isDisposed;
    })();
    this._opening = opening;
    void opening.then(() => {
      if (this._opening === opening) {
        this._opening = null;
      }
    });
    return opening;
  }

  private _closed(comm: Kernel.IComm, why: string): void {
    if (this._comm === comm) {
      this._comm = null;
    }
    for (const [id, p] of [...this._pending]) {
      if (p.comm === comm) {
        this._pending.delete(id);
        p.reject(new Error(why));
      }
    }
  }

  /**
   * Forget the comm and reject the pending measurements; `close` tells the kernel too (a restart
   * disposes the comms itself).
   */
  private _drop(why: string, close: boolean): void {
    const comm = this._comm;
    this._comm = null;
    this._opening = null;
    for (const p of this._pending.values()) {
      p.reject(new Error(why));
    }
    this._pending.clear();
    if (close && comm && !comm.isDisposed && this._kernel && !this._kernel.isDisposed) {
      try {
        comm.close();
      } catch {
        // the kernel went away: nothing to close
      }
    }
  }

  private _onMessage(comm: Kernel.IComm, msg: KernelMessage.ICommMsgMsg): void {
    const answer = parseKernelMessage(msg.content.data);
    if ('invalid' in answer) {
      console.warn(`sparkcoach: ${answer.invalid}`);
      return;
    }
    if (answer.action === 'insert-cell') {
      const panel = this._target();
      if (panel) {
        insertCodeCell(panel, panel.content.activeCellIndex + 1, answer.text);
      }
      return;
    }
    const pending = answer.request !== null ? this._pending.get(answer.request) : undefined;
    if (!pending || pending.comm !== comm) {
      return; // another view's request, or one already given up
    }
    this._pending.delete(answer.request as string);
    if (answer.action === 'measurement') {
      pending.resolve(answer.measurement);
    } else {
      pending.reject(new Error(answer.message));
    }
  }
}

/** The kernel channels of every open notebook (one per session, shared by the notebook's views). */
export class KernelComms implements IKernelChannel {
  private _channels = new Map<ISessionContext, Channel>();

  constructor(private _tracker: INotebookTracker) {
    _tracker.widgetAdded.connect((_, panel) => this._channel(panel));
    _tracker.forEach(panel => this._channel(panel));
  }

  measure(panel: NotebookPanel, snapshot: number, finding: number): Promise<IMeasurement> {
    return this._channel(panel).measure(snapshot, finding);
  }

  private _channel(panel: NotebookPanel): Channel {
    const session = panel.sessionContext;
    let channel = this._channels.get(session);
    if (!channel) {
      const made = new Channel(session, () => this._panelOf(session));
      channel = made;
      this._channels.set(session, made);
      session.disposed.connect(() => {
        made.dispose();
        this._channels.delete(session);
      });
    }
    return channel;
  }

  /** The notebook view to insert into: the current one when it shows this session, else the first. */
  private _panelOf(session: ISessionContext): NotebookPanel | null {
    const current = this._tracker.currentWidget;
    if (current && current.sessionContext === session) {
      return current;
    }
    return this._tracker.find(p => p.sessionContext === session) ?? null;
  }
}
