/**
 * CoachModel: what the coach knows about one open notebook, shared by the editor diagnostics, the
 * findings view and the side panel.  Pure data + a `changed` signal; no DOM, no JupyterLab widgets,
 * so it is unit-testable.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { IFinding, IMeasurement, isIgnored } from './types';

export interface IRuntimeEntry {
  findings: IFinding[];
  measurements: IMeasurement[];
  /** Kernel snapshot key for "Measure" (display metadata), null when the kernel holds none. */
  snapshot: number | null;
}

export type ChangeKind = 'static' | 'runtime' | 'measurement' | 'rules';

export class CoachModel {
  private _static = new Map<string, IFinding[]>();
  private _runtime = new Map<string, IRuntimeEntry>();
  private _disabled: string[] = [];
  private _changed = new Signal<this, ChangeKind>(this);

  /** Emitted after any change, with what changed. */
  get changed(): ISignal<this, ChangeKind> {
    return this._changed;
  }

  /** Rule codes/prefixes switched off (settings' ignoredRules). */
  get disabledRules(): readonly string[] {
    return this._disabled;
  }

  setDisabledRules(codes: readonly string[]): void {
    const next = [...new Set(codes)].sort();
    if (next.join(',') === this._disabled.join(',')) {
      return;
    }
    this._disabled = next;
    this._changed.emit('rules');
  }

  /** Replace all static findings (the lint route's answer for the whole notebook), keyed by cell id. */
  setStatic(byCell: Map<string, IFinding[]>): void {
    this._static = new Map(byCell);
    this._changed.emit('static');
  }

  /** The findings of a %%sparklint run shown in a cell's output (replaces that cell's earlier run). */
  setRuntime(cellId: string, entry: IRuntimeEntry): void {
    this._runtime.set(cellId, {
      findings: [...entry.findings],
      measurements: [...entry.measurements],
      snapshot: entry.snapshot
    });
    this._changed.emit('runtime');
  }

  clearRuntime(cellId: string): void {
    if (this._runtime.delete(cellId)) {
      this._changed.emit('runtime');
    }
  }

  /** A measurement made later (the "Measure" action); replaces one for the same code and line. */
  addMeasurement(cellId: string, m: IMeasurement): void {
    const entry = this._runtime.get(cellId) ?? { findings: [], measurements: [], snapshot: null };
    entry.measurements = entry.measurements.filter(x => !(x.code === m.code && x.line === m.line));
    entry.measurements.push(m);
    this._runtime.set(cellId, entry);
    this._changed.emit('measurement');
  }

  runtime(cellId: string): IRuntimeEntry | undefined {
    return this._runtime.get(cellId);
  }

  /**
   * A cell's findings to show: static and runtime merged (a runtime finding with the same code and span
   * as a static one replaces it), switched-off rules removed, sorted by position.
   */
  findings(cellId: string): IFinding[] {
    const key = (f: IFinding) => `${f.code}:${f.line}:${f.column}:${f.end_line}:${f.end_column}`;
    const merged = new Map<string, IFinding>();
    for (const f of this._static.get(cellId) ?? []) {
      merged.set(key(f), f);
    }
    for (const f of this._runtime.get(cellId)?.findings ?? []) {
      merged.set(key(f), f);
    }
    return [...merged.values()]
      .filter(f => !isIgnored(f.code, this._disabled))
      .sort((a, b) => a.line - b.line || a.column - b.column || a.code.localeCompare(b.code));
  }

  /** Ids of cells with anything to show (static or runtime), in no particular order. */
  cellIds(): string[] {
    return [...new Set([...this._static.keys(), ...this._runtime.keys()])];
  }
}
