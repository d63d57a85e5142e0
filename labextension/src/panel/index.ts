/** The "Spark Coach" side panel in the right area, and the command that opens it. */
import { LabIcon } from '@jupyterlab/ui-components';

import { ICoachContext } from '../context';
import { CoachPanel, PANEL_ID } from './widget';

export { CoachPanel, PANEL_ID } from './widget';

export const OPEN_PANEL_COMMAND = 'sparkcoach:open-panel';

/** A spark over a magnifier: our own static SVG (no report text ever goes in here). */
export const coachIcon = new LabIcon({
  name: 'sparkcoach:coach',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">' +
    '<g class="jp-icon3" fill="#616161">' +
    '<path d="M9.5 3a6.5 6.5 0 0 1 5.25 10.33l5.46 5.46-1.42 1.42-5.46-5.46A6.5 6.5 0 1 1 9.5 3zm0 2a4.5 4.5 0 1 0 0 9 4.5 4.5 0 0 0 0-9z"/>' +
    '<path d="M10.4 5.8 7.6 10h2l-.9 3.2 2.9-4.3h-2z"/>' +
    '</g></svg>'
});

export function activatePanel(context: ICoachContext): void {
  const { app, tracker, restorer } = context;
  const panel = new CoachPanel(context);
  panel.title.icon = coachIcon;
  app.shell.add(panel, 'right', { rank: 900 });
  if (restorer) {
    restorer.add(panel, PANEL_ID);
  }
  panel.setNotebook(tracker.currentWidget);
  tracker.currentChanged.connect((_, current) => panel.setNotebook(current));
  app.commands.addCommand(OPEN_PANEL_COMMAND, {
    label: 'Show the Spark Coach panel',
    caption: 'Findings by cell, measured rewrites and rule switches for the current notebook',
    icon: coachIcon,
    execute: () => app.shell.activateById(panel.id)
  });
}
