/**
 * The findings view of one report, as DOM: the summary line, each finding (severity, code, name,
 * line, message, the why, the fix, the rewrite's diff, "Insert rewritten cell below" and "Measure"),
 * the plans and lineages (collapsed), the measurements and the notes. Every string from the report
 * goes in as text.
 */
import { IFinding, IMeasurement, IPlan, IReport } from '../types';
import { append, appendInline, details, h, oneLine } from './dom';
import {
  byFinding,
  contextLine,
  explainRows,
  findingLocation,
  findingTitle,
  flagMark,
  IPlanRow,
  lineageHeading,
  lineageRows,
  planHeading,
  planTree,
  summaryLine
} from './format';
import { diffPre, measurementBlock } from './measurement';

export const INSERT_LABEL = 'Insert rewritten cell below';
export const MEASURE_LABEL = 'Measure';
export const MEASURING = 'measuring\u2026';

/** What the view's buttons do; the renderer supplies them (they find the notebook when clicked). */
export interface IViewActions {
  /** Insert `text` as a code cell below the output's cell; a one-line reason when it cannot. */
  insert(text: string): string | null;
  /** Measure finding `index` of the report (the kernel runs it); rejects with a one-line reason. */
  measure(index: number): Promise<IMeasurement>;
  /** A measurement arrived (to keep it with the notebook's findings). */
  measured(index: number, m: IMeasurement): void;
}

/** The options of one view: the kernel snapshot that "Measure" uses (null: no Measure buttons). */
export interface IViewOptions {
  snapshot: number | null;
  actions: IViewActions;
}

/** The summary line and where the figures came from. */
export function summaryBlock(report: IReport): HTMLElement {
  const root = h('div', 'sparkcoach-view-head');
  root.appendChild(h('div', 'sparkcoach-view-summary', `sparkcoach: ${summaryLine(report)}`));
  const ctx = contextLine(report);
  if (ctx) {
    root.appendChild(h('div', 'sparkcoach-view-context', ctx));
  }
  return root;
}

function findingHead(f: IFinding): HTMLElement {
  const sev = ['error', 'warning', 'info'].includes(f.severity) ? f.severity : 'info';
  const head = h('div', 'sparkcoach-view-finding-head');
  append(
    head,
    h('span', `sparkcoach-sev sparkcoach-sev-${sev}`, f.severity),
    h('code', 'sparkcoach-view-code', f.code),
    h('span', 'sparkcoach-view-name', f.name, { title: findingTitle(f) })
  );
  const loc = findingLocation(f);
  if (loc) {
    head.appendChild(h('span', 'sparkcoach-view-line', loc));
  }
  return head;
}

function button(className: string, label: string, title: string): HTMLButtonElement {
  const b = h('button', `jp-Button jp-mod-styled ${className}`, label, { type: 'button', title });
  return b;
}

/** One finding, with its buttons and the measurements of its rewrite. */
export function findingBlock(
  f: IFinding,
  index: number,
  measured: readonly IMeasurement[],
  options: IViewOptions
): HTMLElement {
  const root = h('div', `sparkcoach-view-finding sparkcoach-view-finding-${f.severity}`, undefined, {
    'data-index': String(index),
    'data-code': f.code,
    'data-severity': f.severity,
    'data-line': String(f.line)
  });
  root.appendChild(findingHead(f));
  if (f.message) {
    root.appendChild(appendInline(h('p', 'sparkcoach-view-message'), f.message));
  }
  if (f.doc || f.title) {
    const why = details('sparkcoach-view-why', 'Why');
    if (f.title) {
      why.appendChild(appendInline(h('p', 'sparkcoach-view-what'), f.title));
    }
    if (f.doc) {
      why.appendChild(appendInline(h('p', 'sparkcoach-view-doc'), f.doc));
    }
    root.appendChild(why);
  }
  if (f.fix) {
    const fix = append(h('p', 'sparkcoach-view-fix'), h('strong', '', `Fix (${f.fix.safety}): `));
    root.appendChild(appendInline(fix, f.fix.description));
  }
  const rewrite = f.rewrite ?? null;
  if (rewrite && rewrite.diff) {
    append(
      root,
      append(h('div', 'sparkcoach-view-rewrite'), h('div', 'sparkcoach-view-rewrite-label', 'Rewrite:'), diffPre(rewrite.diff))
    );
  }
  const status = h('div', 'sparkcoach-view-status', undefined, { 'aria-live': 'polite' });
  const outputs = h('div', 'sparkcoach-view-measurements');
  measured.forEach(m => outputs.appendChild(measurementBlock(m)));
  if (rewrite && typeof rewrite.cell === 'string') {
    const actions = h('div', 'sparkcoach-view-actions');
    const cell = rewrite.cell;
    const insert = button(
      'sparkcoach-view-insert',
      INSERT_LABEL,
      'Adds the rewritten cell below this one; the original stays as it is'
    );
    insert.addEventListener('click', () => {
      const problem = options.actions.insert(cell);
      setStatus(status, problem, true);
    });
    actions.appendChild(insert);
    if (options.snapshot !== null) {
      const measure = button(
        'sparkcoach-view-measure',
        MEASURE_LABEL,
        'Runs the original cell and this rewrite alternately on the same data and compares their times, ' +
          'Spark figures and results'
      );
      measure.addEventListener('click', () => {
        measure.disabled = true;
        setStatus(status, MEASURING, false);
        options.actions
          .measure(index)
          .then(m => {
            outputs.appendChild(measurementBlock(m));
            setStatus(status, null, false);
            options.actions.measured(index, m);
          })
          .catch(reason => setStatus(status, `measurement failed: ${oneLine(reason)}`, true))
          .finally(() => {
            measure.disabled = false;
          });
      });
      actions.appendChild(measure);
    }
    root.appendChild(actions);
  }
  append(root, status, outputs);
  return root;
}

function setStatus(status: HTMLElement, text: string | null, isError: boolean): void {
  status.textContent = text ?? '';
  status.classList.toggle('sparkcoach-view-error', Boolean(text) && isError);
}

/** The plan tree as nested lists; flagged nodes marked with the codes that flagged them. */
export function planTreeList(root: IPlanRow): HTMLUListElement {
  const list = (rows: readonly IPlanRow[]): HTMLUListElement => {
    const ul = h('ul', 'sparkcoach-plan-tree');
    for (const row of rows) {
      const li = h('li', 'sparkcoach-plan-node' + (row.codes !== null ? ' sparkcoach-plan-flagged' : ''));
      li.appendChild(h(row.codes !== null ? 'mark' : 'span', 'sparkcoach-plan-label', row.label));
      if (row.codes !== null) {
        li.setAttribute('data-codes', row.codes.join(' '));
        li.appendChild(h('span', 'sparkcoach-plan-mark', ` ${flagMark(row.codes)}`));
      }
      if (row.children.length > 0) {
        li.appendChild(list(row.children));
      }
      ul.appendChild(li);
    }
    return ul;
  };
  return list([root]);
}

function planBlock(plan: IPlan): HTMLDetailsElement {
  const tree = planTree(plan);
  const flagged = tree !== null && hasFlag(tree);
  const d = details('sparkcoach-view-plan', planHeading(plan), flagged);
  d.setAttribute('data-name', plan.name);
  if (tree) {
    d.appendChild(planTreeList(tree));
  }
  const rows = explainRows(plan);
  if (rows.length > 0) {
    const pre = h('pre', 'sparkcoach-plan-text');
    for (const [line, codes] of rows) {
      if (codes === null) {
        pre.appendChild(document.createTextNode(line + '\n'));
      } else {
        append(pre, h('mark', 'sparkcoach-plan-flagged', line), h('span', 'sparkcoach-plan-mark', ` ${flagMark(codes)}\n`));
      }
    }
    d.appendChild(append(details('sparkcoach-view-explain', 'explain text'), pre));
  }
  return d;
}

function hasFlag(row: IPlanRow): boolean {
  return row.codes !== null || row.children.some(hasFlag);
}

function lineageBlock(lineage: IReport['lineages'][number]): HTMLDetailsElement {
  const d = details('sparkcoach-view-lineage', lineageHeading(lineage), Boolean(lineage.flagged?.length));
  d.setAttribute('data-name', lineage.name);
  const pre = h('pre', 'sparkcoach-lineage-text');
  for (const [line, kind] of lineageRows(lineage)) {
    if (kind === 'flagged') {
      append(pre, h('mark', 'sparkcoach-lineage-flagged', line), h('span', 'sparkcoach-plan-mark', ` ${flagMark([])}\n`));
    } else if (kind === 'shuffle') {
      append(pre, h('span', 'sparkcoach-lineage-shuffle', line), document.createTextNode('\n'));
    } else {
      pre.appendChild(document.createTextNode(line + '\n'));
    }
  }
  return append(d, pre);
}

/** The whole view of one report. */
export function reportView(report: IReport, options: IViewOptions): HTMLDivElement {
  const root = h('div', 'sparkcoach-view');
  if (options.snapshot !== null) {
    root.setAttribute('data-snapshot', String(options.snapshot));
  }
  root.appendChild(summaryBlock(report));
  const { placed, unmatched } = byFinding(report.findings, report.measurements);
  if (report.findings.length > 0) {
    const list = h('div', 'sparkcoach-view-findings');
    report.findings.forEach((f, i) => list.appendChild(findingBlock(f, i, placed.get(i) ?? [], options)));
    root.appendChild(list);
  } else {
    root.appendChild(h('div', 'sparkcoach-view-clean', 'No findings.'));
  }
  if (report.plans.length > 0) {
    const d = details('sparkcoach-view-plans', `Plans (${report.plans.length})`);
    report.plans.forEach(p => d.appendChild(planBlock(p)));
    root.appendChild(d);
  }
  if (report.lineages.length > 0) {
    const d = details('sparkcoach-view-lineages', `Lineage (${report.lineages.length})`);
    report.lineages.forEach(l => d.appendChild(lineageBlock(l)));
    root.appendChild(d);
  }
  if (unmatched.length > 0) {
    const d = details('sparkcoach-view-measurements-other', `Measurements (${unmatched.length})`, true);
    unmatched.forEach(m => d.appendChild(measurementBlock(m)));
    root.appendChild(d);
  }
  const notes = report.summary.notes ?? [];
  if (notes.length > 0) {
    const ul = h('ul', 'sparkcoach-view-notes');
    notes.forEach(n => ul.appendChild(appendInline(h('li', '', 'note: '), n)));
    root.appendChild(ul);
  }
  return root;
}

/** The view of a payload that is not a valid report: the reason on one line, then the text fallback. */
export function invalidView(error: string, fallback: string | null): HTMLDivElement {
  const root = h('div', 'sparkcoach-view sparkcoach-view-invalid');
  root.appendChild(h('div', 'sparkcoach-view-error', error, { role: 'alert' }));
  if (fallback) {
    root.appendChild(h('pre', 'sparkcoach-view-fallback', fallback));
  }
  return root;
}
