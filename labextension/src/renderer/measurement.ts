/** One measurement of a rewrite as DOM: heading, verdict, status, timing chart, figures, result check, notes. */
import { IMeasurement } from '../types';
import { BAR_H, chartGeometry, COLOURS, LABEL_W } from './chart';
import { append, appendInline, details, h, s } from './dom';
import {
  diffLines,
  errorLines,
  figureRows,
  headline,
  measurementHeading,
  resultLine,
  statusLine
} from './format';

/** The timing chart as SVG (null when nothing ran). */
export function chartSvg(m: IMeasurement): SVGElement | null {
  const chart = chartGeometry(m);
  if (!chart) {
    return null;
  }
  const svg = s('svg', {
    class: 'sparkcoach-chart',
    width: chart.width,
    height: chart.height,
    viewBox: `0 0 ${chart.width} ${chart.height}`,
    role: 'img',
    'aria-label': 'median wall time per variant'
  });
  svg.appendChild(s('title', {}, 'median wall time per variant, whiskers min to max'));
  chart.rows.forEach((row, i) => {
    const label = m.variants[i].label;
    svg.appendChild(
      s(
        'text',
        { class: 'sparkcoach-chart-label', x: LABEL_W - 6, y: row.mid, 'text-anchor': 'end', 'dominant-baseline': 'middle' },
        row.label
      )
    );
    if (row.bar) {
      svg.appendChild(
        s('rect', {
          class: `sparkcoach-chart-bar sparkcoach-chart-${row.kind}`,
          'data-variant': label,
          x: row.bar.x,
          y: row.y,
          width: row.bar.width,
          height: BAR_H,
          fill: COLOURS[row.kind]
        })
      );
    }
    if (row.whisker) {
      const { lo, hi } = row.whisker;
      const whisker = { class: 'sparkcoach-chart-whisker', 'data-variant': label, stroke: 'currentColor' };
      svg.appendChild(s('line', { ...whisker, x1: lo, y1: row.mid, x2: hi, y2: row.mid }));
      for (const x of [lo, hi]) {
        svg.appendChild(s('line', { ...whisker, x1: x, y1: row.y + 3, x2: x, y2: row.y + BAR_H - 3 }));
      }
    }
    svg.appendChild(
      s(
        'text',
        { class: 'sparkcoach-chart-value', x: row.value.x, y: row.mid, 'dominant-baseline': 'middle' },
        row.value.text
      )
    );
  });
  const first = chart.ticks[0].x;
  const last = chart.ticks[chart.ticks.length - 1].x;
  svg.appendChild(s('line', { class: 'sparkcoach-chart-axis', x1: first, y1: chart.axisY, x2: last, y2: chart.axisY }));
  for (const tick of chart.ticks) {
    svg.appendChild(
      s('line', { class: 'sparkcoach-chart-axis', x1: tick.x, y1: chart.axisY, x2: tick.x, y2: chart.axisY + 4 })
    );
    svg.appendChild(
      s('text', { class: 'sparkcoach-chart-tick', x: tick.x, y: chart.axisY + 16, 'text-anchor': 'middle' }, tick.text)
    );
  }
  return svg;
}

/** The figures table: one row per figure, one column per variant. */
export function figuresTable(m: IMeasurement): HTMLTableElement | null {
  if (m.variants.length === 0) {
    return null;
  }
  const table = h('table', 'sparkcoach-figures');
  const headRow = append(h('tr'), h('th'));
  for (const v of m.variants) {
    headRow.appendChild(h('th', '', v.label ?? '?', { scope: 'col' }));
  }
  append(table, append(h('thead'), headRow));
  const body = h('tbody');
  for (const [name, shown] of figureRows(m)) {
    const tr = append(h('tr', '', undefined, { 'data-figure': name }), h('th', '', name, { scope: 'row' }));
    shown.forEach(x => tr.appendChild(h('td', '', x)));
    body.appendChild(tr);
  }
  return append(table, body);
}

/** A unified diff in <pre>, one line per span classed add/del/hunk/head/ctx. */
export function diffPre(diff: string): HTMLPreElement {
  const pre = h('pre', 'sparkcoach-diff');
  for (const [line, kind] of diffLines(diff)) {
    pre.appendChild(h('span', `sparkcoach-diff-${kind}`, line + '\n'));
  }
  return pre;
}

function notesList(lines: readonly string[], lead = ''): HTMLUListElement | null {
  if (lines.length === 0) {
    return null;
  }
  const ul = h('ul', 'sparkcoach-notes');
  for (const line of lines) {
    ul.appendChild(appendInline(h('li', '', lead), line));
  }
  return ul;
}

/** One measurement as a block. */
export function measurementBlock(m: IMeasurement): HTMLDivElement {
  const changed = m.same_result === false;
  const root = h('div', 'sparkcoach-measurement', undefined, {
    'data-code': m.code,
    'data-status': m.status,
    ...(m.line !== null ? { 'data-line': String(m.line) } : {})
  });
  append(
    root,
    h('div', 'sparkcoach-measurement-head', measurementHeading(m)),
    h('div', 'sparkcoach-measurement-verdict' + (changed ? ' sparkcoach-changed' : ''), headline(m))
  );
  const status = statusLine(m);
  if (status) {
    root.appendChild(h('div', 'sparkcoach-measurement-status', status));
  }
  append(root, chartSvg(m), figuresTable(m), notesList(errorLines(m)));
  root.appendChild(h('div', 'sparkcoach-measurement-check' + (changed ? ' sparkcoach-changed' : ''), resultLine(m)));
  root.appendChild(notesList(m.notes ?? [], 'note: ') ?? document.createComment('no notes'));
  if (m.rewrite && m.rewrite.diff) {
    root.appendChild(append(details('sparkcoach-measurement-rewrite', 'rewrite measured'), diffPre(m.rewrite.diff)));
  }
  return root;
}
