import { describe, expect, it } from 'vitest';

import {
  BadResponse,
  basisOf,
  buildLintRequest,
  failureKind,
  groupByCell,
  ILintRequest,
  isFinding,
  ITimers,
  LintScheduler,
  parseLintResponse,
  recordBases,
  WarnOnce
} from '../src/lint';
import { IFinding } from '../src/types';

function finding(cell_id: string | null, line = 1, code = 'SPK201'): IFinding & { cell_id: string | null } {
  return {
    code,
    name: 'group-by-key',
    severity: 'warning',
    message: 'msg',
    path: '<notebook>',
    cell: 0,
    line,
    column: 1,
    end_line: line,
    end_column: 4,
    fix: null,
    doc: 'why',
    cell_id
  } as IFinding & { cell_id: string | null };
}

/** A clock the test advances by hand: timers fire only inside `advance`. */
class ManualClock implements ITimers {
  now = 0;
  private _timers = new Map<number, { at: number; fn: () => void }>();
  private _next = 1;

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this._next++;
    this._timers.set(id, { at: this.now + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this._timers.delete(handle as number);
  }

  get pending(): number {
    return this._timers.size;
  }

  advance(ms: number): void {
    this.now += ms;
    for (const [id, t] of [...this._timers].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at <= this.now) {
        this._timers.delete(id);
        t.fn();
      }
    }
  }
}

/** A transport whose answers the test releases one by one, in any order. */
class HeldTransport {
  requests: ILintRequest[] = [];
  private _answers: { resolve: (x: unknown) => void; reject: (e: unknown) => void }[] = [];

  send = (request: ILintRequest): Promise<unknown> => {
    this.requests.push(JSON.parse(JSON.stringify(request)));
    return new Promise((resolve, reject) => this._answers.push({ resolve, reject }));
  };

  answer(i: number, data: unknown): void {
    this._answers[i].resolve(data);
  }

  fail(i: number, error: unknown): void {
    this._answers[i].reject(error);
  }
}

const flush = () => new Promise<void>(resolve => setTimeout(resolve, 0));

function setup(delay = 500) {
  const clock = new ManualClock();
  const transport = new HeldTransport();
  const applied: Map<string, IFinding[]>[] = [];
  const failures: string[] = [];
  let cells = [
    { id: 'a', source: 'rdd = sc.parallelize([1])' },
    { id: 'b', source: 'rdd.groupByKey()' }
  ];
  const scheduler = new LintScheduler({
    cells: () => cells,
    ignore: () => ['SPK1'],
    delay: () => delay,
    send: transport.send,
    apply: byCell => applied.push(byCell),
    fail: kind => failures.push(kind),
    timers: clock
  });
  return {
    clock,
    transport,
    applied,
    failures,
    scheduler,
    setCells: (next: typeof cells) => (cells = next)
  };
}

describe('request and response', () => {
  it('builds the route body from the code cells in order', () => {
    const cells = [
      { id: 'x', source: 'a' },
      { id: 'y', source: 'b' }
    ];
    const body = buildLintRequest(cells, ['SPK201']);
    expect(body).toEqual({ cells: [{ id: 'x', source: 'a' }, { id: 'y', source: 'b' }], ignore: ['SPK201'] });
    cells[0].source = 'changed';
    expect(body.cells[0].source).toBe('a');
  });

  it('rejects answers of the wrong shape with a one-line error', () => {
    expect(() => parseLintResponse(null)).toThrow(BadResponse);
    expect(() => parseLintResponse([])).toThrow(/not a JSON object/);
    expect(() => parseLintResponse({ findings: 3 })).toThrow(/no 'findings' list/);
  });

  it('drops single malformed findings and counts them', () => {
    const good = finding('a');
    const { response, dropped } = parseLintResponse({
      findings: [good, { ...good, line: '1' }, { ...good, severity: 'fatal' }, { ...good, fix: { edits: 1 } }],
      elapsed_ms: 4
    });
    expect(response.findings).toEqual([good]);
    expect(response.elapsed_ms).toBe(4);
    expect(dropped).toBe(3);
    expect(isFinding({ ...good, fix: { description: 'd', safety: 'safe', edits: [] } })).toBe(true);
    expect(isFinding({ ...good, fix: { description: 'd', safety: 'maybe', edits: [] } })).toBe(false);
  });

  it('groups findings by cell id, with an entry for every linted cell', () => {
    const cells = [
      { id: 'a', source: '' },
      { id: 'b', source: '' },
      { id: 'c', source: '' }
    ];
    const byCell = groupByCell(
      { findings: [finding('b', 3), finding('b', 1), finding('zzz'), finding(null)], elapsed_ms: 1 },
      cells
    );
    expect([...byCell.keys()]).toEqual(['a', 'b', 'c']);
    expect(byCell.get('a')).toEqual([]);
    expect(byCell.get('b')!.map(f => f.line)).toEqual([1, 3]);
    expect(byCell.get('c')).toEqual([]);
  });

  it('remembers the text each finding was computed from', () => {
    const f = finding('b');
    const byCell = new Map([['b', [f]]]);
    recordBases(byCell, [{ id: 'b', source: 'the source' }]);
    expect(basisOf(f)).toBe('the source');
    expect(basisOf(finding('b'))).toBeUndefined();
  });

  it('names failure kinds', () => {
    const http = Object.assign(new Error('sparkcoach/lint: bad'), { status: 400 });
    expect(failureKind(http)).toBe('http-400');
    expect(failureKind(new TypeError('Failed to fetch'))).toBe('TypeError');
    expect(failureKind(new BadResponse('x'))).toBe('response');
    expect(failureKind('weird')).toBe('error');
  });

  it('warns once per kind', () => {
    const lines: unknown[][] = [];
    const w = new WarnOnce((...args) => lines.push(args));
    expect(w.warn('http-500', 'first')).toBe(true);
    expect(w.warn('http-500', 'again')).toBe(false);
    expect(w.warn('network', 'other')).toBe(true);
    expect(lines).toEqual([['first'], ['other']]);
  });
});

describe('LintScheduler', () => {
  it('waits for the quiet time, restarting it on each change', async () => {
    const t = setup(500);
    t.scheduler.schedule();
    t.clock.advance(400);
    t.scheduler.schedule();
    t.clock.advance(400);
    expect(t.transport.requests).toHaveLength(0);
    expect(t.scheduler.scheduled).toBe(true);
    t.clock.advance(100);
    expect(t.transport.requests).toHaveLength(1);
    expect(t.scheduler.scheduled).toBe(false);
    expect(t.transport.requests[0]).toEqual({
      cells: [
        { id: 'a', source: 'rdd = sc.parallelize([1])' },
        { id: 'b', source: 'rdd.groupByKey()' }
      ],
      ignore: ['SPK1']
    });
    t.transport.answer(0, { findings: [finding('b')], elapsed_ms: 1 });
    await flush();
    expect(t.applied).toHaveLength(1);
    expect(t.applied[0].get('b')!.map(f => f.code)).toEqual(['SPK201']);
    expect(basisOf(t.applied[0].get('b')![0])).toBe('rdd.groupByKey()');
  });

  it('reads the cells when it sends, not when it is scheduled', () => {
    const t = setup(100);
    t.scheduler.schedule();
    t.setCells([{ id: 'a', source: 'newer' }]);
    t.clock.advance(100);
    expect(t.transport.requests[0].cells).toEqual([{ id: 'a', source: 'newer' }]);
  });

  it('lints now without waiting and cancels the scheduled lint', () => {
    const t = setup(500);
    t.scheduler.schedule();
    void t.scheduler.lintNow();
    expect(t.transport.requests).toHaveLength(1);
    t.clock.advance(1000);
    expect(t.transport.requests).toHaveLength(1);
  });

  it('drops an answer when a newer request was sent, whatever order they arrive in', async () => {
    const t = setup();
    const first = t.scheduler.lintNow();
    const second = t.scheduler.lintNow();
    t.transport.answer(1, { findings: [finding('b', 2)], elapsed_ms: 1 });
    await second;
    t.transport.answer(0, { findings: [finding('b', 1)], elapsed_ms: 1 });
    await first;
    expect(t.applied).toHaveLength(1);
    expect(t.applied[0].get('b')!.map(f => f.line)).toEqual([2]);

    const third = t.scheduler.lintNow();
    const fourth = t.scheduler.lintNow();
    t.transport.answer(2, { findings: [finding('b', 3)], elapsed_ms: 1 });
    await third;
    expect(t.applied).toHaveLength(1);
    t.transport.answer(3, { findings: [finding('b', 4)], elapsed_ms: 1 });
    await fourth;
    expect(t.applied.map(m => m.get('b')![0].line)).toEqual([2, 4]);
    expect(t.scheduler.sent).toBe(4);
  });

  it('keeps the last findings on failure and reports the kind, never throwing', async () => {
    const t = setup();
    const ok = t.scheduler.lintNow();
    t.transport.answer(0, { findings: [finding('a')], elapsed_ms: 1 });
    await ok;
    const bad = t.scheduler.lintNow();
    t.transport.fail(1, Object.assign(new Error('sparkcoach/lint: boom'), { status: 500 }));
    await expect(bad).resolves.toBeUndefined();
    const garbled = t.scheduler.lintNow();
    t.transport.answer(2, '<html>');
    await garbled;
    expect(t.applied).toHaveLength(1);
    expect(t.failures).toEqual(['http-500', 'response']);
  });

  it('does not report failures of stale requests', async () => {
    const t = setup();
    const first = t.scheduler.lintNow();
    const second = t.scheduler.lintNow();
    t.transport.fail(0, new TypeError('Failed to fetch'));
    await first;
    expect(t.failures).toEqual([]);
    t.transport.answer(1, { findings: [], elapsed_ms: 1 });
    await second;
    expect(t.applied).toHaveLength(1);
  });

  it('cancel drops answers in flight and the scheduled lint; dispose stops everything', async () => {
    const t = setup();
    const inFlight = t.scheduler.lintNow();
    t.scheduler.schedule();
    t.scheduler.cancel();
    t.transport.answer(0, { findings: [finding('a')], elapsed_ms: 1 });
    await inFlight;
    t.clock.advance(10000);
    expect(t.applied).toHaveLength(0);
    expect(t.transport.requests).toHaveLength(1);
    expect(t.clock.pending).toBe(0);

    const again = t.scheduler.lintNow();
    t.scheduler.dispose();
    t.transport.answer(1, { findings: [], elapsed_ms: 1 });
    await again;
    t.scheduler.schedule();
    await t.scheduler.lintNow();
    expect(t.applied).toHaveLength(0);
    expect(t.transport.requests).toHaveLength(2);
    expect(t.scheduler.isDisposed).toBe(true);
  });
});
