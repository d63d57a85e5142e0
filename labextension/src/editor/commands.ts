/** Commands: `sparkcoach:apply-fix` (quick fix by cell id and index, or under the cursor) and `sparkcoach:lint-now`. */
import { NotebookPanel } from '@jupyterlab/notebook';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { ICoachContext } from '../context';
import { IApplyFixResult, NotebookCoach } from './notebook';

export const CommandIDs = {
  applyFix: 'sparkcoach:apply-fix',
  lintNow: 'sparkcoach:lint-now'
} as const;

/** `{cellId, index}` when both are given with the right types, else null (meaning: under the cursor). */
export function fixTarget(args: ReadonlyPartialJSONObject): { cellId: string; index: number } | null {
  const { cellId, index } = args;
  if (typeof cellId === 'string' && typeof index === 'number' && Number.isInteger(index) && index >= 0) {
    return { cellId, index };
  }
  return null;
}

export function addCommands(context: ICoachContext, coaches: ReadonlyMap<NotebookPanel, NotebookCoach>): void {
  const { app, tracker } = context;
  const current = (): NotebookCoach | undefined =>
    tracker.currentWidget ? coaches.get(tracker.currentWidget) : undefined;

  app.commands.addCommand(CommandIDs.applyFix, {
    label: 'Spark Coach: Apply Fix',
    caption: 'Apply the quick fix of a Spark Coach finding (by cell id and index, or the one under the cursor)',
    isEnabled: () => current() !== undefined,
    execute: (args): IApplyFixResult => {
      const target = fixTarget(args);
      if (!target) {
        const coach = current();
        return coach ? coach.applyFixUnderCursor() : { applied: false, message: 'no notebook is active' };
      }
      const ordered = [current(), ...coaches.values()].filter((c): c is NotebookCoach => c !== undefined);
      const coach = ordered.find(c => c.cellById(target.cellId) !== undefined);
      if (!coach) {
        return { applied: false, message: `no open notebook has cell ${target.cellId}` };
      }
      return coach.applyFixAt(target.cellId, target.index);
    }
  });

  app.commands.addCommand(CommandIDs.lintNow, {
    label: 'Spark Coach: Check Notebook Now',
    caption: 'Check the current notebook with the static engine now (nothing is run)',
    isEnabled: () => current() !== undefined,
    execute: async () => {
      await current()?.lintNow();
    }
  });
}
