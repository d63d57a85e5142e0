/** What every part of the extension is handed at activation. */
import { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';

import { CoachModels } from './models';
import { CoachSettings } from './settings';

/** The kernel channel (src/comm.ts implements it). */
export interface IKernelChannel {
  /** Ask the notebook's kernel to measure finding `finding` of the run held as `snapshot`. */
  measure(
    panel: import('@jupyterlab/notebook').NotebookPanel,
    snapshot: number,
    finding: number
  ): Promise<import('./types').IMeasurement>;
}

export interface ICoachContext {
  app: JupyterFrontEnd;
  tracker: INotebookTracker;
  models: CoachModels;
  settings: CoachSettings;
  comms: IKernelChannel;
  restorer: ILayoutRestorer | null;
}
