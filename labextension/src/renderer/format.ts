/**
 * The words and figures of a findings report, without the DOM: the same phrasing as the Python side's
 * static renderings (sparkcoach/views/__init__.py and views/measure.py), so a report reads the same in
 * the extension, in the saved HTML and in text. Sizes are decimal (1 KB = 1000 B).
 */
import { IFinding, IMeasurement, IReport, IVariant, MIME_TYPE, Severity } from '../types';

export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];
export const DOT = ' \u00b7 ';
export const DASH = '\u2014';
export const FLAG_MARK = '\u25c0';
const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

/** Python's `f"{x:.Nf}"` for the figures shown here. */
function fixed(x: number, digits: number): string {
  return x.toFixed(digits);
}

/** `12300000` → `12.3 MB`; one decimal below 100 of a unit; `?` when unknown. */
export function humanBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) {
    return '?';
  }
  if (n < 1000) {
    return `${Math.trunc(n)} B`;
  }
  let i = 0;
  while (n >= 1000 && i < UNITS.length - 1) {
    n /= 1000;
    i++;
  }
  let text = n < 99.95 ? fixed(n, 1) : fixed(n, 0);
  if (parseFloat(text) >= 1000 && i < UNITS.length - 1) {
    n /= 1000;
    i++;
    text = fixed(n, 1);
  }
  return `${text} ${UNITS[i]}`;
}

/** `1.8432` → `1.84 s`; `83.2` → `1 min 23 s`. */
export function humanSeconds(s: number | null | undefined): string {
  if (s === null || s === undefined) {
    return '?';
  }
  if (s < 10) {
    return `${fixed(s, 2)} s`;
  }
  if (s < 60) {
    return `${fixed(s, 1)} s`;
  }
  const total = Math.round(s);
  const m = Math.floor(total / 60);
  const sec = total % 60;
  if (m < 60) {
    return `${m} min ${sec} s`;
  }
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function plural(n: number, word: string, many?: string): string {
  return `${n} ${n === 1 ? word : many ?? word + 's'}`;
}

/** `1234567` → `1,234,567` (Python's `{n:,}`). */
export function thousands(n: number): string {
  const sign = n < 0 ? '-' : '';
  const digits = String(Math.abs(Math.trunc(n)));
  return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `2 warnings, 1 info`, or `no findings`. */
export function countsPhrase(summary: { [S in Severity]: number }): string {
  const parts: string[] = [];
  for (const sev of SEVERITIES) {
    const n = summary[sev] || 0;
    if (n) {
      parts.push(plural(n, sev, sev === 'info' ? 'info' : undefined));
    }
  }
  return parts.length > 0 ? parts.join(', ') : 'no findings';
}

/** The pieces of the summary line, in order; unknown figures are left out. */
export function summaryParts(report: IReport): string[] {
  const s = report.summary;
  const parts = [countsPhrase(s)];
  if (s.wall_s !== null && s.wall_s !== undefined) {
    parts.push(humanSeconds(s.wall_s));
  }
  const jobs = s.jobs;
  if (jobs !== null && jobs !== undefined) {
    parts.push(jobs ? plural(jobs, 'job') : 'no Spark jobs');
  }
  const queries = s.queries as number | null | undefined;
  if (jobs && queries) {
    parts.push(plural(queries, 'SQL query', 'SQL queries'));
  }
  if (jobs && s.stages !== null && s.stages !== undefined) {
    parts.push(plural(s.stages, 'stage'));
  }
  if (jobs && s.tasks !== null && s.tasks !== undefined) {
    parts.push(plural(s.tasks, 'task'));
  }
  const read = s.shuffle_read_bytes;
  const write = s.shuffle_write_bytes;
  if ((read !== null && read !== undefined) || (write !== null && write !== undefined)) {
    if (!read && !write) {
      parts.push('no shuffle');
    } else {
      parts.push(`shuffle ${humanBytes(read)} read / ${humanBytes(write)} written`);
    }
  }
  const spill = s.spill_bytes;
  if (spill !== null && spill !== undefined) {
    parts.push(spill ? `spill ${humanBytes(spill)}` : 'no spill');
  }
  return parts;
}

export function summaryLine(report: IReport): string {
  return summaryParts(report).join(DOT);
}

/** `Spark: classic local · figures from status tracker, REST API` (empty when nothing is known). */
export function contextLine(report: IReport): string {
  const s = report.summary;
  const parts: string[] = [];
  const spark = s.spark as string | undefined;
  if (spark && spark !== 'none') {
    parts.push(`Spark: ${spark}`);
  }
  const sources = (s.sources as string[] | undefined) ?? [];
  if (sources.length > 0) {
    parts.push('figures from ' + sources.join(', '));
  }
  return parts.join(DOT);
}

/** The rule's one-line summary, falling back to its name. */
export function findingTitle(f: IFinding): string {
  return (f.title ?? '').trim() || f.name || f.code;
}

export function findingLocation(f: IFinding): string {
  return f.line ? `line ${f.line}` : '';
}

/** Pieces of text: plain, or `code` (between backticks in the message). */
export interface ISpan {
  text: string;
  code: boolean;
}

/** `use \`reduceByKey\` here` → plain / code / plain pieces (a lone backtick stays text). */
export function inlineSpans(text: string): ISpan[] {
  const out: ISpan[] = [];
  const re = /`([^`\n]+)`/g;
  let last = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m.index > last) {
      out.push({ text: text.slice(last, m.index), code: false });
    }
    out.push({ text: m[1], code: true });
    last = m.index + m[0].length;
  }
  if (last < text.length) {
    out.push({ text: text.slice(last), code: false });
  }
  return out;
}

// ------------------------------------------------------------------------------------------- diffs

export type DiffKind = 'head' | 'hunk' | 'add' | 'del' | 'ctx';

export function diffKind(line: string): DiffKind {
  if (line.startsWith('+++') || line.startsWith('---')) {
    return 'head';
  }
  if (line.startsWith('@@')) {
    return 'hunk';
  }
  if (line.startsWith('+')) {
    return 'add';
  }
  if (line.startsWith('-')) {
    return 'del';
  }
  return 'ctx';
}

/** A unified diff as `[line, kind]` rows. */
export function diffLines(diff: string): [string, DiffKind][] {
  const text = diff.replace(/\n+$/, '');
  if (text === '') {
    return [];
  }
  return text.split(/\r\n|\r|\n/).map(line => [line, diffKind(line)]);
}

// ------------------------------------------------------------------------------------------- plans

type Flag = number | number[] | { id?: number; path?: number[]; codes?: string[] };

/** A plan tree node as the schema has it (`$defs/planNode`). */
export interface IPlanTreeNode {
  operator: string;
  args?: string;
  size?: number | null;
  rows?: number | null;
  id?: number | null;
  children: IPlanTreeNode[];
}

/** Flagged nodes as (operator id → codes, path key → codes). */
export function flagIndex(flagged: readonly unknown[] | undefined): {
  ids: Map<number, string[]>;
  paths: Map<string, string[]>;
} {
  const ids = new Map<number, string[]>();
  const paths = new Map<string, string[]>();
  const merge = <K>(table: Map<K, string[]>, key: K, codes: readonly string[]) => {
    const have = table.get(key) ?? [];
    for (const c of codes) {
      if (!have.includes(c)) {
        have.push(c);
      }
    }
    table.set(key, have);
  };
  for (const raw of flagged ?? []) {
    const entry = raw as Flag;
    if (typeof entry === 'number') {
      merge(ids, entry, []);
    } else if (Array.isArray(entry)) {
      merge(paths, entry.join('/'), []);
    } else if (entry !== null && typeof entry === 'object') {
      const codes = entry.codes ?? [];
      if (entry.id !== undefined && entry.id !== null) {
        merge(ids, entry.id, codes);
      }
      if (entry.path !== undefined && entry.path !== null) {
        merge(paths, entry.path.join('/'), codes);
      }
    }
  }
  return { ids, paths };
}

/** `SortMergeJoin [k#1L], [k#3L], Inner (9) [est. 12.3 MB, 1,000 rows]`. */
export function nodeLabel(node: IPlanTreeNode): string {
  let label = node.operator ?? '?';
  if (node.args) {
    label += ' ' + node.args;
  }
  if (node.id !== null && node.id !== undefined) {
    label += ` (${node.id})`;
  }
  const est: string[] = [];
  if (node.size !== null && node.size !== undefined) {
    est.push(humanBytes(node.size));
  }
  if (node.rows !== null && node.rows !== undefined) {
    est.push(`${thousands(node.rows)} row${node.rows === 1 ? '' : 's'}`);
  }
  if (est.length > 0) {
    label += ` [est. ${est.join(', ')}]`;
  }
  return label;
}

/** One plan node for a nested-list tree: its label, the codes that flagged it (null: not flagged). */
export interface IPlanRow {
  label: string;
  codes: string[] | null;
  children: IPlanRow[];
}

interface IPlanLike {
  name?: string;
  line?: number | null;
  text?: string;
  tree?: unknown;
  flagged?: readonly unknown[];
  adaptive?: boolean;
  final?: boolean;
}

/** The plan tree with each node's label and flagging codes (as sparkcoach.views.plan_rows marks them). */
export function planTree(plan: IPlanLike): IPlanRow | null {
  const { ids, paths } = flagIndex(plan.flagged);
  const visit = (node: IPlanTreeNode, path: number[]): IPlanRow => {
    let codes: string[] | null = null;
    const byPath = paths.get(path.join('/'));
    if (byPath) {
      codes = [...byPath];
    }
    const byId = node.id !== null && node.id !== undefined ? ids.get(node.id) : undefined;
    if (byId) {
      const have: string[] = codes ?? [];
      codes = have.concat(byId.filter(c => !have.includes(c)));
    }
    return {
      label: nodeLabel(node),
      codes,
      children: (node.children ?? []).map((c, i) => visit(c, [...path, i]))
    };
  };
  return plan.tree ? visit(plan.tree as IPlanTreeNode, []) : null;
}

/** The tree's rows parents first, each with its depth (for counting and flat listings). */
export function flattenTree(root: IPlanRow | null): { depth: number; row: IPlanRow }[] {
  const out: { depth: number; row: IPlanRow }[] = [];
  const walk = (row: IPlanRow, depth: number) => {
    out.push({ depth, row });
    row.children.forEach(c => walk(c, depth + 1));
  };
  if (root) {
    walk(root, 0);
  }
  return out;
}

export function flaggedCount(plan: IPlanLike): number {
  return flattenTree(planTree(plan)).filter(r => r.row.codes !== null).length;
}

/** `joined · line 4 · adaptive (initial plan) · 1 flagged`. */
export function planHeading(plan: IPlanLike): string {
  const parts = [plan.name || 'DataFrame'];
  if (plan.line) {
    parts.push(`line ${plan.line}`);
  }
  if (plan.adaptive) {
    parts.push(plan.final ? 'adaptive (final plan)' : 'adaptive (initial plan)');
  }
  const n = flaggedCount(plan);
  if (n) {
    parts.push(`${n} flagged`);
  }
  return parts.join(DOT);
}

/**
 * The plan's explain text line by line, with the codes of flagged operators named by id: `+- Exchange (3)`
 * in the tree block of `explain("formatted")`, or a `(3) Exchange` detail heading; null for the others.
 */
export function explainRows(plan: IPlanLike): [string, string[] | null][] {
  const { ids } = flagIndex(plan.flagged);
  const rows: [string, string[] | null][] = [];
  let inTree = true;
  const text = (plan.text ?? '').replace(/\n+$/, '');
  if (text === '') {
    return rows;
  }
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line.trim() === '') {
      inTree = false;
    } else if (/^\s*==/.test(line)) {
      inTree = true;
    }
    const m = /^\((\d+)\) /.exec(line) ?? (inTree ? /\((\d+)\)\s*$/.exec(line) : null);
    const found = m ? parseInt(m[1], 10) : null;
    const codes = found !== null ? ids.get(found) : undefined;
    rows.push([line, codes ? [...codes] : null]);
  }
  return rows;
}

/** The flag mark after a flagged node: `◀ SPK350, SPK301` (or `◀ flagged`). */
export function flagMark(codes: readonly string[]): string {
  return `${FLAG_MARK} ${codes.length > 0 ? codes.join(', ') : 'flagged'}`;
}

// ---------------------------------------------------------------------------------------- lineages

export const SHUFFLE_RDDS = ['ShuffledRDD', 'CoGroupedRDD', 'SubtractedRDD'];

interface IRddNodeLike {
  name?: string;
  id?: number | null;
  call?: string;
  partitions?: number | null;
  stage?: number;
}

interface ILineageLike {
  name?: string;
  line?: number | null;
  text?: string;
  nodes?: readonly unknown[];
  flagged?: readonly number[];
}

/** The lineage as text: its `toDebugString`, or one line per RDD node when there is none. */
export function lineageLines(lineage: ILineageLike): string[] {
  if (lineage.text) {
    return lineage.text.replace(/\n+$/, '').split(/\r\n|\r|\n/);
  }
  return (lineage.nodes ?? []).map(raw => {
    const n = raw as IRddNodeLike;
    const rid = n.id !== null && n.id !== undefined ? `[${n.id}]` : '';
    const parts = n.partitions !== null && n.partitions !== undefined ? `(${n.partitions}) ` : '';
    return `${'   '.repeat(n.stage || 0)}${parts}${n.name ?? '?'}${rid} at ${n.call ?? ''}`.replace(/\s+$/, '');
  });
}

export type LineageKind = 'flagged' | 'shuffle' | '';

/** Each lineage line with its kind: a flagged RDD id, a shuffle RDD (a stage boundary), or neither. */
export function lineageRows(lineage: ILineageLike): [string, LineageKind][] {
  const flagged = new Set(lineage.flagged ?? []);
  return lineageLines(lineage).map(line => {
    const m = /([A-Za-z_$][\w$]*)\[(\d+)\] at /.exec(line);
    const rid = m ? parseInt(m[2], 10) : null;
    const kind: LineageKind =
      rid !== null && flagged.has(rid) ? 'flagged' : m && SHUFFLE_RDDS.includes(m[1]) ? 'shuffle' : '';
    return [line, kind];
  });
}

export function lineageHeading(lineage: ILineageLike): string {
  const parts = [lineage.name || 'RDD'];
  if (lineage.line) {
    parts.push(`line ${lineage.line}`);
  }
  const n = (lineage.nodes ?? []).filter(raw => SHUFFLE_RDDS.includes((raw as IRddNodeLike).name ?? '')).length;
  parts.push(n ? plural(n, 'shuffle') : 'no shuffle');
  if (lineage.flagged && lineage.flagged.length > 0) {
    parts.push(`${lineage.flagged.length} flagged`);
  }
  return parts.join(DOT);
}

// ------------------------------------------------------------------------------------ measurements

const PARTIAL: { [status: string]: string } = {
  timeout: 'Stopped by the timeout',
  interrupted: 'Interrupted'
};

/** A time for the figures: `12 ms`, `1.84 s`; `—` when unknown. */
export function seconds(s: number | null | undefined): string {
  if (s === null || s === undefined) {
    return DASH;
  }
  if (s < 1) {
    return s < 0.01 ? `${fixed(s * 1000, 1)} ms` : `${fixed(s * 1000, 0)} ms`;
  }
  return humanSeconds(s);
}

function spread(sp: [number, number] | null | undefined): string {
  return sp ? `${seconds(sp[0])} \u2013 ${seconds(sp[1])}` : DASH;
}

function count(n: number | null | undefined): string {
  return n === null || n === undefined ? DASH : thousands(n);
}

function bytes(n: number | null | undefined): string {
  return n === null || n === undefined ? DASH : humanBytes(n);
}

const ROWS: [string, (v: IVariant) => string][] = [
  ['median', v => seconds(v.median_s)],
  ['spread', v => spread(v.spread_s)],
  ['jobs', v => count(v.jobs)],
  ['stages', v => count(v.stages)],
  ['tasks', v => count(v.tasks)],
  ['shuffle read', v => bytes(v.shuffle_read_bytes)],
  ['shuffle write', v => bytes(v.shuffle_write_bytes)],
  ['spill', v => bytes(v.spill_bytes)],
  ['peak task', v => seconds(v.peak_task_s)]
];

/** `[row name, one shown value per variant]` for the figures table. */
export function figureRows(m: IMeasurement): [string, string[]][] {
  return ROWS.map(([name, shown]) => [name, m.variants.map(shown)]);
}

/** Python's `{x:.3g}` for a percentage. */
function threeSignificant(x: number): string {
  return String(Number(x.toPrecision(3)));
}

/** `SPK350 · line 3 · 3 timed runs each, alternating, after 1 warm-up · 10% sample of the inputs`. */
export function measurementHeading(m: IMeasurement): string {
  const parts = [m.code || '?'];
  if (m.line) {
    parts.push(`line ${m.line}`);
  }
  if (m.runs !== null && m.runs !== undefined) {
    const warmup = m.warmup || 0;
    parts.push(
      `${plural(m.runs, 'timed run')} each, alternating, ` +
        (warmup ? `after ${plural(warmup, 'warm-up')}` : 'no warm-up')
    );
  }
  if (m.sample !== null && m.sample !== undefined) {
    parts.push(`${threeSignificant(m.sample * 100)}% sample of the inputs`);
  }
  return parts.join(DOT);
}

/** The verdict line; a rewrite that changes the result is said to, and nothing more. */
export function headline(m: IMeasurement): string {
  if (m.same_result === false) {
    return 'The rewrite changes the result: not an improvement';
  }
  if (m.status === 'not measured') {
    return 'Not measured';
  }
  if (m.status === 'failed') {
    return 'The measurement failed';
  }
  let out = `Rewrite: ${(m.verdict || '').trim() || 'no verdict'}`;
  if (m.speedup !== null && m.speedup !== undefined) {
    out += ` \u00b7 speedup ${fixed(m.speedup, 2)} (original median / rewrite median)`;
  }
  if (m.same_result === null || m.same_result === undefined) {
    out += ' \u00b7 result not checked';
  }
  return out;
}

/** What stopped a partial measurement, with the runs done (empty when all ran, or nothing did). */
export function statusLine(m: IMeasurement): string {
  const status = m.status;
  if (!(status in PARTIAL)) {
    return ['done', 'not measured', 'failed'].includes(status) ? '' : `Status: ${status}`;
  }
  const runs = m.runs;
  const done = m.variants.map(
    v => `${v.label ?? '?'} ${(v.times_s ?? []).length}` + (runs !== null && runs !== undefined ? ` of ${runs}` : '')
  );
  return (
    `${PARTIAL[status]}: figures measured up to then` + (done.length > 0 ? ` (timed runs: ${done.join(', ')})` : '')
  );
}

export function resultLine(m: IMeasurement): string {
  if (m.same_result === true) {
    return 'Result check: same result';
  }
  if (m.same_result === false) {
    return 'Result check: the results differ' + (m.difference ? `: ${m.difference}` : '');
  }
  return 'Result check: not checked';
}

export function errorLines(m: IMeasurement): string[] {
  return m.variants.filter(v => v.error).map(v => `${v.label ?? '?'} raised: ${v.error}`);
}

/** `2.7× faster`, `changes the result`, `not measured`, ... */
export function shortVerdict(m: IMeasurement): string {
  if (m.same_result === false) {
    return 'changes the result';
  }
  if (m.status === 'not measured' || m.status === 'failed') {
    return m.status;
  }
  const out = (m.verdict || '').trim() || 'no verdict';
  return out + (m.status in PARTIAL ? ` (${m.status}: partial)` : '');
}

/** `measured SPK350 (line 3): 2.7× faster`. */
export function measurementLine(m: IMeasurement): string {
  const where = m.line ? ` (line ${m.line})` : '';
  return `measured ${m.code || '?'}${where}: ${shortVerdict(m)}`;
}

/**
 * Measurements placed under the first finding of the same code and line; those matching no
 * finding are returned apart (shown in their own section).
 */
export function byFinding(
  findings: readonly IFinding[],
  measurements: readonly IMeasurement[]
): { placed: Map<number, IMeasurement[]>; unmatched: IMeasurement[] } {
  const first = new Map<string, number>();
  findings.forEach((f, i) => {
    const key = `${f.code}:${f.line}`;
    if (!first.has(key)) {
      first.set(key, i);
    }
  });
  const placed = new Map<number, IMeasurement[]>();
  const unmatched: IMeasurement[] = [];
  for (const m of measurements) {
    const i = first.get(`${m.code}:${m.line}`);
    if (i === undefined) {
      unmatched.push(m);
    } else {
      placed.set(i, [...(placed.get(i) ?? []), m]);
    }
  }
  return { placed, unmatched };
}

/** The snapshot key in the output's metadata (`{MIME: {snapshot}}`); null when absent or not an integer. */
export function snapshotOf(metadata: unknown): number | null {
  if (metadata === null || typeof metadata !== 'object') {
    return null;
  }
  const mine = (metadata as { [key: string]: unknown })[MIME_TYPE];
  if (mine === null || typeof mine !== 'object') {
    return null;
  }
  const key = (mine as { snapshot?: unknown }).snapshot;
  return typeof key === 'number' && Number.isInteger(key) ? key : null;
}

/**
 * The text a report's lines count in: the cell as it was run (`report.cell.source`: a %%sparklint
 * cell with its magic line, or a plain cell under `%sparkcoach auto`).  When the cell still holds that
 * text (up to a final newline), the basis is the cell's own text, so nothing needs mapping.
 */
export function runBasis(current: string, ran: string): string {
  const trim = (s: string) => s.replace(/\n$/, '');
  return trim(ran) === trim(current) ? current : ran;
}
