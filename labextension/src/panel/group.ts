/**
 * What the side panel lists, without the DOM: a notebook's findings grouped by cell, the last
 * measured timings per cell, and one switch per rule.
 */
import { IRuntimeEntry } from '../model';
import { seconds, shortVerdict } from '../renderer/format';
import { IFinding, IMeasurement, IRuleInfo, isIgnored, Severity } from '../types';

/** A notebook cell as the panel needs it. */
export interface ICellInfo {
  id: string;
  /** 0-based position in the notebook. */
  index: number;
  /** The kernel's execution count of its last run (null: not run). */
  executionCount: number | null;
}

/** One measured rewrite, as a line. */
export interface ITimingRow {
  code: string;
  line: number | null;
  verdict: string;
  /** `speedup 1.68` (null: unknown, or the rewrite changes the result). */
  speedup: string | null;
  /** `1.57 s → 940 ms`: the original's median → the rewrite's (null: no medians). */
  medians: string | null;
}

export interface ICellGroup {
  cellId: string;
  index: number;
  label: string;
  findings: IFinding[];
  timings: ITimingRow[];
}

/** `Cell [7]` with the execution count, else `Cell 3` (its 1-based position). */
export function cellLabel(cell: ICellInfo): string {
  return cell.executionCount !== null ? `Cell [${cell.executionCount}]` : `Cell ${cell.index + 1}`;
}

export function timingRow(m: IMeasurement): ITimingRow {
  const [original, rewrite] = m.variants;
  const medians =
    original && rewrite && (original.median_s !== null || rewrite.median_s !== null)
      ? `${seconds(original.median_s)} \u2192 ${seconds(rewrite.median_s)}`
      : null;
  return {
    code: m.code,
    line: m.line,
    verdict: shortVerdict(m),
    speedup: m.speedup !== null && m.same_result !== false ? `speedup ${m.speedup.toFixed(2)}` : null,
    medians
  };
}

/**
 * The cells with findings or measurements, in notebook order. `findingsOf` gives a cell's findings to
 * show (the model's merged, filtered list); `runtimeOf` its last %%sparklint run.
 */
export function groupByCell(
  cells: readonly ICellInfo[],
  findingsOf: (cellId: string) => IFinding[],
  runtimeOf: (cellId: string) => IRuntimeEntry | undefined
): ICellGroup[] {
  const groups: ICellGroup[] = [];
  for (const cell of [...cells].sort((a, b) => a.index - b.index)) {
    const findings = findingsOf(cell.id);
    const measurements = runtimeOf(cell.id)?.measurements ?? [];
    if (findings.length === 0 && measurements.length === 0) {
      continue;
    }
    groups.push({
      cellId: cell.id,
      index: cell.index,
      label: cellLabel(cell),
      findings,
      timings: measurements.map(timingRow)
    });
  }
  return groups;
}

/** Findings per severity over all groups. */
export function severityCounts(groups: readonly ICellGroup[]): { [S in Severity]: number } {
  const counts = { error: 0, warning: 0, info: 0 };
  for (const g of groups) {
    for (const f of g.findings) {
      counts[f.severity] += 1;
    }
  }
  return counts;
}

/** One rule's switch. */
export interface IRuleRow {
  code: string;
  name: string;
  summary: string;
  severity: Severity | null;
  enabled: boolean;
  /** A prefix in the settings' ignoredRules that switches this rule off (the switch cannot undo it). */
  lockedBy: string | null;
}

/**
 * A switch per rule: the server's rule list when it answered (`rules`), else the codes seen in the
 * notebook; on when no ignored code or prefix covers the rule.
 */
export function ruleRows(
  rules: readonly IRuleInfo[] | null,
  seen: readonly string[],
  ignored: readonly string[]
): IRuleRow[] {
  const known: IRuleInfo[] = rules
    ? [...rules]
    : [...new Set(seen)].map(code => ({ code, name: '', severity: 'info' as Severity, kind: '', summary: '' }));
  return known
    .sort((a, b) => a.code.localeCompare(b.code))
    .map(r => {
      const prefix = ignored.find(p => p.length > 0 && p !== r.code && r.code.startsWith(p)) ?? null;
      return {
        code: r.code,
        name: r.name,
        summary: r.summary,
        severity: rules ? r.severity : null,
        enabled: !isIgnored(r.code, ignored),
        lockedBy: prefix
      };
    });
}

/** A finding's place as the panel shows it: `line 3` (and the column when past the first). */
export function findingPlace(f: IFinding): string {
  return f.column > 1 ? `line ${f.line}:${f.column}` : `line ${f.line}`;
}
