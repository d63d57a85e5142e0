/**
 * Inline diagnostics and lint as you type: a NotebookCoach for every open notebook, the commands,
 * and the settings' effect on linting.
 */
import { NotebookPanel } from '@jupyterlab/notebook';

import { ICoachContext } from '../context';
import { addCommands } from './commands';
import { NotebookCoach } from './notebook';

export { CommandIDs } from './commands';
export { NotebookCoach } from './notebook';

export function activateEditor(context: ICoachContext): void {
  const coaches = new Map<NotebookPanel, NotebookCoach>();
  const track = (panel: NotebookPanel) => {
    if (coaches.has(panel)) {
      return;
    }
    const coach = new NotebookCoach(panel, context);
    coaches.set(panel, coach);
    panel.disposed.connect(() => coaches.delete(panel));
  };
  context.tracker.forEach(track);
  context.tracker.widgetAdded.connect((_, panel) => track(panel));
  context.settings.changed.connect((_, settings) => {
    for (const coach of coaches.values()) {
      coach.onSettings(settings);
    }
  });
  addCommands(context, coaches);
}
