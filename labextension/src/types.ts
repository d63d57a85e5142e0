/**
 * The kernel→frontend payload, mirroring sparkcoach/schema/findings.schema.json (the single source:
 * the renderer validates reports against that file; these interfaces only type what the code reads).
 */

export const MIME_TYPE = 'application/vnd.sparkcoach.findings+json';
export const COMM_TARGET = 'sparkcoach';
export const PLUGIN_ID = 'sparkcoach:plugin';

export type Severity = 'error' | 'warning' | 'info';

export interface IEdit {
  line: number;
  column: number;
  end_line: number;
  end_column: number;
  replacement: string;
}

export interface IFix {
  description: string;
  safety: 'safe' | 'unsafe';
  edits: IEdit[];
}

export interface IRewrite {
  diff: string;
  cell: string;
}

/** One finding; lines/columns are 1-based within the cell, columns count code points, end exclusive. */
export interface IFinding {
  code: string;
  name: string;
  severity: Severity;
  message: string;
  path: string;
  cell: number | null;
  line: number;
  column: number;
  end_line: number;
  end_column: number;
  fix: IFix | null;
  doc: string;
  /** Runtime reports only. */
  title?: string;
  rewrite?: IRewrite | null;
  /** Lint route only: the notebook cell's id. */
  cell_id?: string;
}

export interface IVariant {
  label: string;
  times_s: number[];
  median_s: number | null;
  spread_s: [number, number] | null;
  error: string | null;
  jobs: number | null;
  stages: number | null;
  tasks: number | null;
  shuffle_read_bytes: number | null;
  shuffle_write_bytes: number | null;
  spill_bytes: number | null;
  peak_task_s: number | null;
}

export interface IMeasurement {
  code: string;
  line: number | null;
  status: 'done' | 'timeout' | 'interrupted' | 'not measured' | 'failed';
  runs: number;
  warmup: number;
  sample: number | null;
  variants: IVariant[];
  speedup: number | null;
  verdict: string;
  same_result: boolean | null;
  difference: string | null;
  notes: string[];
  rewrite: IRewrite | null;
  [key: string]: unknown;
}

export interface ISummary {
  error: number;
  warning: number;
  info: number;
  wall_s: number | null;
  jobs: number | null;
  stages: number | null;
  tasks: number | null;
  shuffle_read_bytes: number | null;
  shuffle_write_bytes: number | null;
  spill_bytes: number | null;
  notes: string[];
  queries?: number | null;
  sources: unknown[];
  spark: unknown;
}

export interface IPlanNode {
  operator: string;
  args?: string;
  size?: number | null;
  rows?: number | null;
  id?: number | null;
  details?: { [key: string]: unknown };
  children: IPlanNode[];
}

/** A flagged plan node: its operator id, its path of child indexes, or either with the finding codes. */
export type IPlanFlag = number | number[] | { id?: number; path?: number[]; codes?: string[] };

export interface IPlan {
  name: string;
  line: number | null;
  text: string;
  tree: IPlanNode;
  flagged: IPlanFlag[];
  adaptive: boolean;
  final: boolean;
  source?: 'jvm' | 'explain';
}

export interface IRddNode {
  name: string;
  id: number | null;
  call: string;
  partitions: number | null;
  stage: number;
  line: number | null;
  file: string | null;
}

export interface ILineage {
  name: string;
  line: number | null;
  text: string;
  nodes: IRddNode[];
  flagged?: number[];
}

/** The whole application/vnd.sparkcoach.findings+json payload of one %%sparklint run. */
export interface IReport {
  version: 1;
  cell: { source: string; index: number | null; execution_count: number | null };
  summary: ISummary;
  findings: IFinding[];
  plans: IPlan[];
  lineages: ILineage[];
  measurements: IMeasurement[];
}

/** Display metadata of the MIME output: the kernel-held snapshot the "Measure" action uses. */
export interface IReportMetadata {
  snapshot?: number | null;
}

/** The lint route's answer. */
export interface ILintResponse {
  findings: IFinding[];
  elapsed_ms: number;
}

export interface IRuleInfo {
  code: string;
  name: string;
  severity: Severity;
  kind: string;
  summary: string;
}

/** The plugin's settings (schema/plugin.json). */
export interface ISettings {
  lintAsYouType: boolean;
  ignoredRules: string[];
  debounceMs: number;
}

export const DEFAULT_SETTINGS: ISettings = {
  lintAsYouType: true,
  ignoredRules: [],
  debounceMs: 500
};

/** Whether a rule code is switched off by a list of codes or prefixes ("SPK2" covers SPK2xx). */
export function isIgnored(code: string, ignored: readonly string[]): boolean {
  return ignored.some(p => p.length > 0 && code.startsWith(p));
}
