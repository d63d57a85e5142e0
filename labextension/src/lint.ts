/**
 * Lint as you type, without the DOM: build the `sparkcoach/lint` request from a notebook's code
 * cells, check the answer, group findings by cell id, and sequence requests (debounce, drop answers
 * that a newer request made stale, warn once per kind of failure). Timers and the transport are
 * injected, so the sequencing is tested with real promises and a controllable clock.
 */
import { IFinding, ILintResponse, Severity } from './types';

/** One code cell as the route wants it. */
export interface ILintCell {
  id: string;
  source: string;
}

/** The body of `POST sparkcoach/lint`. */
export interface ILintRequest {
  cells: ILintCell[];
  ignore: string[];
}

export function buildLintRequest(cells: readonly ILintCell[], ignore: readonly string[]): ILintRequest {
  return {
    cells: cells.map(c => ({ id: c.id, source: c.source })),
    ignore: [...ignore]
  };
}

/** The answer was not what the route promises (a one-line reason). */
export class BadResponse extends Error {}

const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

function isObject(x: unknown): x is { [key: string]: unknown } {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

function isPosition(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x);
}

function isEdit(x: unknown): boolean {
  return (
    isObject(x) &&
    isPosition(x.line) &&
    isPosition(x.column) &&
    isPosition(x.end_line) &&
    isPosition(x.end_column) &&
    typeof x.replacement === 'string'
  );
}

function isFix(x: unknown): boolean {
  return (
    isObject(x) &&
    typeof x.description === 'string' &&
    (x.safety === 'safe' || x.safety === 'unsafe') &&
    Array.isArray(x.edits) &&
    x.edits.every(isEdit)
  );
}

/** Whether `x` has the fields the editor reads from a finding, with the right types. */
export function isFinding(x: unknown): x is IFinding {
  return (
    isObject(x) &&
    typeof x.code === 'string' &&
    typeof x.name === 'string' &&
    SEVERITIES.includes(x.severity as Severity) &&
    typeof x.message === 'string' &&
    isPosition(x.line) &&
    isPosition(x.column) &&
    isPosition(x.end_line) &&
    isPosition(x.end_column) &&
    (x.fix === null || x.fix === undefined || isFix(x.fix)) &&
    (x.doc === undefined || typeof x.doc === 'string')
  );
}

/**
 * Check the route's answer. A wrong overall shape throws `BadResponse`; single findings that lack
 * fields are dropped (and counted), so one odd finding does not hide the others.
 */
export function parseLintResponse(data: unknown): { response: ILintResponse; dropped: number } {
  if (!isObject(data)) {
    throw new BadResponse('sparkcoach/lint: the answer is not a JSON object');
  }
  if (!Array.isArray(data.findings)) {
    throw new BadResponse("sparkcoach/lint: the answer has no 'findings' list");
  }
  const findings = data.findings.filter(isFinding);
  const elapsed = typeof data.elapsed_ms === 'number' ? data.elapsed_ms : 0;
  return {
    response: { findings, elapsed_ms: elapsed },
    dropped: data.findings.length - findings.length
  };
}

/**
 * Findings by cell id, one entry (possibly empty) for every cell that was linted, in each cell's
 * position order; findings naming no linted cell are left out.
 */
export function groupByCell(
  response: ILintResponse,
  cells: readonly ILintCell[]
): Map<string, IFinding[]> {
  const out = new Map<string, IFinding[]>();
  for (const c of cells) {
    out.set(c.id, []);
  }
  for (const f of response.findings) {
    const list = typeof f.cell_id === 'string' ? out.get(f.cell_id) : undefined;
    if (list) {
      list.push(f);
    }
  }
  for (const list of out.values()) {
    list.sort((a, b) => a.line - b.line || a.column - b.column || a.code.localeCompare(b.code));
  }
  return out;
}

/**
 * The cell text each finding was computed from, so a fix made for it can be checked against the
 * cell's current text. Filled for every finding the lint route returns; the renderer may add
 * runtime findings too.
 */
const bases = new WeakMap<IFinding, string>();

export function setBasis(finding: IFinding, source: string): void {
  bases.set(finding, source);
}

export function basisOf(finding: IFinding): string | undefined {
  return bases.get(finding);
}

/** Record, for each finding of an answer, the source of the cell it belongs to. */
export function recordBases(byCell: Map<string, IFinding[]>, cells: readonly ILintCell[]): void {
  const source = new Map(cells.map(c => [c.id, c.source]));
  for (const [id, findings] of byCell) {
    const text = source.get(id);
    if (text !== undefined) {
      for (const f of findings) {
        setBasis(f, text);
      }
    }
  }
}

/** A short name for a kind of failure, so each is reported once: `http-500`, `network`, `response`… */
export function failureKind(error: unknown): string {
  if (error instanceof BadResponse) {
    return 'response';
  }
  if (isObject(error) || error instanceof Error) {
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number') {
      return `http-${status}`;
    }
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && name.length > 0 && name !== 'Error') {
      return name;
    }
  }
  return 'error';
}

/** Prints a warning the first time each kind of failure happens. */
export class WarnOnce {
  private _seen = new Set<string>();

  constructor(private _warn: (...args: unknown[]) => void = (...args) => console.warn(...args)) {}

  warn(kind: string, ...args: unknown[]): boolean {
    if (this._seen.has(kind)) {
      return false;
    }
    this._seen.add(kind);
    this._warn(...args);
    return true;
  }
}

/** The clock the scheduler uses; `window.setTimeout` in the browser, a fake clock in tests. */
export interface ITimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Failures of every notebook's lint, each kind reported once per session. */
export const lintWarnings = new WarnOnce();

export const browserTimers: ITimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: handle => clearTimeout(handle as ReturnType<typeof setTimeout>)
};

export interface ILintSchedulerOptions {
  /** The notebook's code cells now, in order. */
  cells: () => ILintCell[];
  /** Rule codes/prefixes the route should skip. */
  ignore: () => readonly string[];
  /** Quiet time before a scheduled lint, in ms. */
  delay: () => number;
  /** Send a request; resolves with the route's JSON answer. */
  send: (request: ILintRequest) => Promise<unknown>;
  /** Receive the findings of the newest answer, by cell id (every linted cell has an entry). */
  apply: (byCell: Map<string, IFinding[]>, request: ILintRequest) => void;
  /** Report a failed request (the last findings stay); called once per failure kind by default. */
  fail?: (kind: string, error: unknown) => void;
  timers?: ITimers;
}

/**
 * Debounces lint requests for one notebook and applies only the answer to the newest request sent.
 * Failures leave the last findings in place.
 */
export class LintScheduler {
  private _timer: unknown = null;
  private _sent = 0;
  /** Bumped by every request sent and by `cancel`: an answer applies only if it is still current. */
  private _generation = 0;
  private _disposed = false;
  private _timers: ITimers;

  constructor(private _options: ILintSchedulerOptions) {
    this._timers = _options.timers ?? browserTimers;
  }

  /** Whether a lint is waiting for the quiet time to pass. */
  get scheduled(): boolean {
    return this._timer !== null;
  }

  /** How many requests were sent so far. */
  get sent(): number {
    return this._sent;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Lint after `delay()` ms without another call (each call restarts the wait). */
  schedule(): void {
    if (this._disposed) {
      return;
    }
    this._clearTimer();
    this._timer = this._timers.setTimeout(() => {
      this._timer = null;
      void this.lintNow();
    }, Math.max(0, this._options.delay()));
  }

  /**
   * Send a request now (cancelling a scheduled one). Resolves when its answer was applied, dropped
   * as stale, or failed; never rejects.
   */
  async lintNow(): Promise<void> {
    if (this._disposed) {
      return;
    }
    this._clearTimer();
    const request = buildLintRequest(this._options.cells(), this._options.ignore());
    this._sent++;
    const generation = ++this._generation;
    let byCell: Map<string, IFinding[]>;
    try {
      const data = await this._options.send(request);
      const { response, dropped } = parseLintResponse(data);
      if (dropped > 0) {
        this._fail('findings', new BadResponse(`sparkcoach/lint: ${dropped} malformed finding(s) ignored`));
      }
      byCell = groupByCell(response, request.cells);
    } catch (error) {
      if (generation === this._generation && !this._disposed) {
        this._fail(failureKind(error), error);
      }
      return;
    }
    if (generation !== this._generation || this._disposed) {
      return;
    }
    recordBases(byCell, request.cells);
    this._options.apply(byCell, request);
  }

  /** Forget a scheduled lint and make answers to requests in flight stale. */
  cancel(): void {
    this._clearTimer();
    this._generation++;
  }

  dispose(): void {
    this.cancel();
    this._disposed = true;
  }

  private _fail(kind: string, error: unknown): void {
    if (this._options.fail) {
      this._options.fail(kind, error);
    } else {
      const message = error instanceof Error ? error.message : String(error);
      lintWarnings.warn(kind, `sparkcoach: lint failed (${kind}): ${message}`);
    }
  }

  private _clearTimer(): void {
    if (this._timer !== null) {
      this._timers.clearTimeout(this._timer);
      this._timer = null;
    }
  }
}
