/**
 * sparkcoach's JupyterLab extension: findings inline in notebook cells (lint as you type through the
 * server route, runtime findings from %%sparklint outputs), a findings view for the kernel's
 * application/vnd.sparkcoach.findings+json output, and a "Spark Coach" side panel.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { KernelComms } from './comm';
import { ICoachContext } from './context';
import { activateEditor } from './editor';
import { CoachModels } from './models';
import { activatePanel } from './panel';
import { createRendererFactory } from './renderer';
import { CoachSettings } from './settings';
import { PLUGIN_ID } from './types';

/** Below ipywidgets' -10: where the extension is installed, its view is the one shown. */
export const RENDERER_RANK = -20;

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Spark Coach: Spark optimization findings inline in notebooks.',
  autoStart: true,
  requires: [INotebookTracker, IRenderMimeRegistry],
  optional: [ISettingRegistry, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    rendermime: IRenderMimeRegistry,
    settingRegistry: ISettingRegistry | null,
    restorer: ILayoutRestorer | null
  ) => {
    const models = new CoachModels();
    const settings = new CoachSettings();
    settings.changed.connect((_, s) => models.setDisabledRules(s.ignoredRules));
    const comms = new KernelComms(tracker);
    const context: ICoachContext = { app, tracker, models, settings, comms, restorer };
    rendermime.addFactory(createRendererFactory(context), RENDERER_RANK);
    tracker.widgetAdded.connect((_, panel) => models.get(panel));
    activateEditor(context);
    activatePanel(context);
    if (settingRegistry) {
      settingRegistry
        .load(PLUGIN_ID)
        .then(s => settings.connect(s))
        .catch(reason => console.warn('sparkcoach: settings not loaded:', reason));
    }
    console.log('sparkcoach: extension activated');
  }
};

export default plugin;
