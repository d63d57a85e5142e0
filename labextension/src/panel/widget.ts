/**
 * The "Spark Coach" side panel: the current notebook's findings by cell (a click goes to the finding),
 * the last measured timings per cell, and a switch per rule.
 */
import { Cell, ICodeCellModel } from '@jupyterlab/cells';
import { NotebookPanel } from '@jupyterlab/notebook';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { requestAPI } from '../api';
import { ICoachContext } from '../context';
import { CoachModel } from '../model';
import { columnToOffset } from '../positions';
import { append, appendInline, h, oneLine } from '../renderer/dom';
import { countsPhrase } from '../renderer/format';
import { IFinding, IRuleInfo } from '../types';
import { findingPlace, groupByCell, ICellInfo, ICellGroup, ruleRows, severityCounts } from './group';

export const PANEL_ID = 'sparkcoach-panel';

/** The cells of a notebook, as the grouping needs them. */
export function cellsOf(panel: NotebookPanel): ICellInfo[] {
  const cells = panel.content.model?.cells;
  const out: ICellInfo[] = [];
  if (!cells) {
    return out;
  }
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    const count = cell.type === 'code' ? (cell as ICodeCellModel).executionCount : null;
    out.push({ id: cell.id, index: i, executionCount: typeof count === 'number' ? count : null });
  }
  return out;
}

/** Activate the cell, scroll to it and put the cursor on the finding (1-based line, code-point column). */
export async function revealFinding(
  context: ICoachContext,
  panel: NotebookPanel,
  cellId: string,
  finding: Pick<IFinding, 'line' | 'column'>
): Promise<void> {
  context.app.shell.activateById(panel.id);
  const notebook = panel.content;
  const index = notebook.widgets.findIndex(c => c.model.id === cellId);
  if (index < 0) {
    return;
  }
  notebook.activeCellIndex = index;
  const cell: Cell = notebook.widgets[index];
  await notebook.scrollToCell(cell, 'center');
  await cell.ready;
  const editor = cell.editor;
  if (!editor) {
    return;
  }
  notebook.mode = 'edit';
  const line = Math.max(0, Math.min(finding.line - 1, editor.lineCount - 1));
  const text = editor.getLine(line) ?? '';
  editor.setCursorPosition({ line, column: columnToOffset(text, finding.column).offset });
  editor.focus();
}

export class CoachPanel extends Widget {
  private _notebook: NotebookPanel | null = null;
  private _model: CoachModel | null = null;
  private _rules: IRuleInfo[] | null = null;
  private _rulesProblem: string | null = null;
  private _rulesAsked = false;
  private _problem: string | null = null;

  constructor(private _context: ICoachContext) {
    super();
    this.id = PANEL_ID;
    this.addClass('sparkcoach-panel');
    this.title.caption = 'Spark Coach';
    _context.settings.changed.connect(() => this.update(), this);
  }

  /** Follow this notebook (null: none is current). */
  setNotebook(panel: NotebookPanel | null): void {
    if (panel === this._notebook) {
      return;
    }
    this._notebook?.disposed.disconnect(this._notebookDisposed, this);
    this._model?.changed.disconnect(this._changed, this);
    this._notebook?.content.model?.cells.changed.disconnect(this._changed, this);
    this._notebook = panel;
    this._model = panel ? this._context.models.get(panel) : null;
    this._model?.changed.connect(this._changed, this);
    panel?.content.model?.cells.changed.connect(this._changed, this);
    panel?.disposed.connect(this._notebookDisposed, this);
    this._problem = null;
    this.update();
  }

  dispose(): void {
    this.setNotebook(null);
    super.dispose();
  }

  private _notebookDisposed(panel: NotebookPanel): void {
    if (this._notebook === panel) {
      this.setNotebook(null);
    }
  }

  private _changed(): void {
    this.update();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.update();
  }

  protected onUpdateRequest(msg: Message): void {
    super.onUpdateRequest(msg);
    if (!this.isVisible) {
      return; // drawn when shown
    }
    if (!this._rulesAsked) {
      this._rulesAsked = true;
      void this._loadRules();
    }
    this.node.textContent = '';
    this.node.appendChild(this._render());
  }

  private async _loadRules(): Promise<void> {
    try {
      const answer = await requestAPI<{ rules?: IRuleInfo[] }>('rules');
      if (!answer || !Array.isArray(answer.rules)) {
        throw new Error('sparkcoach/rules answered without a rule list');
      }
      this._rules = answer.rules;
      this._rulesProblem = null;
    } catch (reason) {
      this._rules = null;
      this._rulesProblem = oneLine(reason);
    }
    this.update();
  }

  private _render(): HTMLElement {
    const root = h('div', 'sparkcoach-panel-body');
    const notebook = this._notebook;
    const model = this._model;
    const header = append(h('div', 'sparkcoach-panel-header'), h('h2', 'sparkcoach-panel-title', 'Spark Coach'));
    root.appendChild(header);
    if (!notebook || !model) {
      root.appendChild(h('p', 'sparkcoach-panel-empty', 'Open a notebook to see its Spark findings.'));
      root.appendChild(this._rulesSection([]));
      return root;
    }
    const groups = groupByCell(cellsOf(notebook), id => model.findings(id), id => model.runtime(id));
    header.appendChild(h('div', 'sparkcoach-panel-notebook', notebook.title.label));
    const counts = severityCounts(groups);
    header.appendChild(h('div', 'sparkcoach-panel-counts', countsPhrase(counts)));
    if (this._problem) {
      root.appendChild(h('p', 'sparkcoach-panel-error', this._problem, { role: 'alert' }));
    }
    root.appendChild(this._findingsSection(notebook, groups));
    root.appendChild(this._timingsSection(groups));
    const seen = ([] as string[]).concat(...groups.map(g => g.findings.map(f => f.code)));
    root.appendChild(this._rulesSection(seen));
    return root;
  }

  private _findingsSection(notebook: NotebookPanel, groups: readonly ICellGroup[]): HTMLElement {
    const section = append(h('section', 'sparkcoach-panel-findings'), h('h3', '', 'Findings'));
    const withFindings = groups.filter(g => g.findings.length > 0);
    if (withFindings.length === 0) {
      section.appendChild(h('p', 'sparkcoach-panel-empty', 'No findings in this notebook.'));
      return section;
    }
    for (const g of withFindings) {
      const block = h('div', 'sparkcoach-panel-cell', undefined, {
        'data-cell-id': g.cellId,
        'data-cell-index': String(g.index)
      });
      block.appendChild(h('div', 'sparkcoach-panel-cell-label', g.label));
      const list = h('ul', 'sparkcoach-panel-list');
      for (const f of g.findings) {
        list.appendChild(this._findingRow(notebook, g.cellId, f));
      }
      section.appendChild(append(block, list));
    }
    return section;
  }

  private _findingRow(notebook: NotebookPanel, cellId: string, f: IFinding): HTMLLIElement {
    const row = h('li', `sparkcoach-panel-finding sparkcoach-panel-finding-${f.severity}`, undefined, {
      'data-code': f.code,
      'data-severity': f.severity,
      'data-line': String(f.line),
      'data-column': String(f.column),
      'data-cell-id': cellId,
      role: 'button',
      tabindex: '0',
      title: `${f.code} ${f.name}: go to ${findingPlace(f)}`
    });
    append(
      row,
      h('span', `sparkcoach-sev sparkcoach-sev-${f.severity}`, f.severity),
      h('code', 'sparkcoach-panel-code', f.code),
      h('span', 'sparkcoach-panel-line', findingPlace(f)),
      appendInline(h('span', 'sparkcoach-panel-message'), f.message)
    );
    const go = () => {
      revealFinding(this._context, notebook, cellId, f).catch(reason => {
        this._problem = `could not go to the finding: ${oneLine(reason)}`;
        this.update();
      });
    };
    row.addEventListener('click', go);
    row.addEventListener('keydown', event => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        go();
      }
    });
    return row;
  }

  private _timingsSection(groups: readonly ICellGroup[]): HTMLElement {
    const section = append(h('section', 'sparkcoach-panel-timings'), h('h3', '', 'Measured rewrites'));
    const measured = groups.filter(g => g.timings.length > 0);
    if (measured.length === 0) {
      section.appendChild(
        h('p', 'sparkcoach-panel-empty', 'None yet: use "Measure" on a finding with a rewrite, or %%sparklint --measure.')
      );
      return section;
    }
    for (const g of measured) {
      const block = h('div', 'sparkcoach-panel-cell', undefined, { 'data-cell-id': g.cellId });
      block.appendChild(h('div', 'sparkcoach-panel-cell-label', g.label));
      const list = h('ul', 'sparkcoach-panel-list');
      for (const t of g.timings) {
        const row = h('li', 'sparkcoach-panel-timing', undefined, {
          'data-code': t.code,
          ...(t.line !== null ? { 'data-line': String(t.line) } : {})
        });
        append(
          row,
          h('code', 'sparkcoach-panel-code', t.code),
          t.line !== null ? h('span', 'sparkcoach-panel-line', `line ${t.line}`) : null,
          h('span', 'sparkcoach-panel-verdict', t.verdict),
          t.speedup ? h('span', 'sparkcoach-panel-speedup', t.speedup) : null,
          t.medians ? h('span', 'sparkcoach-panel-medians', t.medians) : null
        );
        list.appendChild(row);
      }
      section.appendChild(append(block, list));
    }
    return section;
  }

  private _rulesSection(seen: readonly string[]): HTMLElement {
    const section = append(h('section', 'sparkcoach-panel-rules'), h('h3', '', 'Rules'));
    const ignored = this._context.settings.current.ignoredRules;
    if (this._rulesProblem) {
      section.appendChild(
        h('p', 'sparkcoach-panel-note', `The rule list is not available (${this._rulesProblem}): rules seen here.`)
      );
    }
    const rows = ruleRows(this._rules, seen, ignored);
    if (rows.length === 0) {
      section.appendChild(h('p', 'sparkcoach-panel-empty', this._rulesAsked ? 'No rules to show.' : 'Loading rules\u2026'));
      return section;
    }
    const list = h('ul', 'sparkcoach-panel-list sparkcoach-rule-list');
    for (const r of rows) {
      const id = `sparkcoach-rule-${r.code}`;
      const input = h('input', 'sparkcoach-rule-switch', undefined, {
        type: 'checkbox',
        role: 'switch',
        id,
        'data-code': r.code,
        'aria-checked': String(r.enabled)
      });
      input.checked = r.enabled;
      if (r.lockedBy) {
        input.disabled = true;
        input.title = `switched off by "${r.lockedBy}" in the settings' ignoredRules`;
      }
      input.addEventListener('change', () => {
        const on = input.checked;
        this._context.settings.setRuleEnabled(r.code, on).catch(reason => {
          this._problem = `could not switch ${r.code} ${on ? 'on' : 'off'}: ${oneLine(reason)}`;
          this.update();
        });
      });
      const label = append(
        h('label', 'sparkcoach-rule-label', undefined, { for: id, title: r.summary }),
        h('code', 'sparkcoach-panel-code', r.code),
        r.name ? h('span', 'sparkcoach-rule-name', r.name) : null
      );
      list.appendChild(
        append(h('li', 'sparkcoach-rule' + (r.enabled ? '' : ' sparkcoach-rule-off'), undefined, { 'data-code': r.code }), input, label)
      );
    }
    section.appendChild(list);
    return section;
  }
}
